import type { StateFile } from '../../src/state/state-file.js';

/** A complete, valid state file for tests to vary. */
export function sampleState(overrides: Partial<StateFile> = {}): StateFile {
  return {
    version: 1,
    updatedAt: '2026-01-01T00:00:00.000Z',
    watchdog: { pid: 4242, startTime: 100, bootId: 'boot', startedAt: '2026-01-01T00:00:00.000Z', version: '0.1.0', configFile: null },
    state: 'running',
    bot: {
      pid: 4343,
      startTime: 101,
      bootId: 'boot',
      startedAt: '2026-01-01T00:00:01.000Z',
      marker: { name: 'BOT_WATCHDOG_TREE', value: 'abc' },
      command: ['python3', 'main.py'],
    },
    restarts: 2,
    lastRestart: { reason: 'heartbeat-stale', at: '2026-01-01T00:00:01.000Z' },
    lastExit: { pid: 4300, code: null, signal: 'SIGTERM', uptimeMs: 5000, at: '2026-01-01T00:00:01.000Z' },
    probes: { heartbeat: { verdict: 'healthy', reason: 'file is 1s old', latencyMs: 0, at: '2026-01-01T00:00:02.000Z', since: '2026-01-01T00:00:01.000Z' } },
    ...overrides,
  };
}
