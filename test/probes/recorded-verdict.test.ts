import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordedVerdictProbe, STATE_STALE_MS } from '../../src/probes/recorded-verdict.js';
import { identityOf } from '../../src/state/identity.js';
import { writeStateFile, type StateFile } from '../../src/state/state-file.js';
import { sampleState } from '../state/sample-state.js';

const NOW = Date.parse('2026-01-01T00:01:00.000Z');

function stateWith(overrides: Partial<StateFile>): string {
  const file = join(mkdtempSync(join(tmpdir(), 'bw-recorded-')), 'state.json');
  const base = sampleState({ watchdog: { ...sampleState().watchdog, ...identityOf(process.pid) } });
  writeStateFile(file, { ...base, updatedAt: '2026-01-01T00:00:50.000Z', ...overrides });
  return file;
}

const link = (verdict: StateFile['probes'][string]['verdict'], reason = 'connected to 127.0.0.1:8080') => ({
  link: { verdict, reason, latencyMs: 1, at: '2026-01-01T00:00:45.000Z', since: '2026-01-01T00:00:01.000Z' },
});

test("the running watchdog's last verdict, with its age", async () => {
  const healthy = await new RecordedVerdictProbe('link', stateWith({ probes: link('healthy') }), () => NOW).check();
  assert.equal(healthy.verdict, 'healthy');
  assert.equal(healthy.reason, 'connected to 127.0.0.1:8080 (recorded by the watchdog 15s ago)');
  assert.equal(healthy.details?.['recordedAgeMs'], 15_000);
  const lost = await new RecordedVerdictProbe('link', stateWith({ probes: link('unhealthy', 'no link for 20s') }), () => NOW).check();
  assert.equal(lost.verdict, 'unhealthy');
});

test('unknown (cannot check) when the state file is stale, missing, its watchdog is gone, or nothing is recorded yet', async () => {
  const stale = stateWith({ probes: link('healthy'), updatedAt: new Date(NOW - STATE_STALE_MS - 1000).toISOString() });
  const cases: [string, string, RegExp][] = [
    ['stale', stale, /^unknown: the state file is 31s old \(stale\)$/],
    ['missing', join(tmpdir(), 'bw-no-such-dir', 'state.json'), /^unknown: no running watchdog/],
    ['gone', stateWith({ probes: link('healthy'), watchdog: { ...sampleState().watchdog, pid: 999_999, startTime: 1 } }), /^unknown: the watchdog \(pid 999999\) is not running$/],
    ['stopped', stateWith({ probes: link('healthy'), state: 'stopped' }), /is not running/],
    ['not yet', stateWith({ probes: {} }), /^unknown: the watchdog has not recorded it yet$/],
    ['starting', stateWith({ probes: link('starting', 'starting (startup.grace): no link yet') }), /^unknown: starting/],
  ];
  for (const [name, file, reason] of cases) {
    const result = await new RecordedVerdictProbe('link', file, () => NOW).check();
    assert.equal(result.verdict, 'misconfigured', name);
    assert.match(result.reason, reason, name);
  }
});
