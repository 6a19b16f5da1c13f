import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBackendRestartMonitor } from '../../src/backend/backend-restart-monitor.js';
import { resolveConfig } from '../../src/config/load-config.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { memoryLogger } from '../helpers/log-sink.js';

const ok = { exitCode: 0, signal: undefined, timedOut: false, durationMs: 1, output: '', truncated: false };

function setup(kind: 'mirai' | 'onebot' = 'mirai') {
  const log = memoryLogger('info');
  const clock = new FakeClock();
  const runs: number[] = [];
  const config = resolveConfig({
    command: ['x'],
    backend: { kind, url: 'http://127.0.0.1:8080', ...(kind === 'mirai' ? { verifyKey: 'k' } : {}), restart: { command: ['systemctl', 'restart', 'mirai'], after: '30s', cooldown: '10m' } },
  });
  const monitor = createBackendRestartMonitor(config, log.logger, clock, async () => (runs.push(clock.now()), ok));
  assert.ok(monitor);
  monitor.start();
  return { log, clock, runs, monitor };
}

test('backend.restart for a polled backend: runs `after` into an outage the backend events report, at most once per cooldown; not after a recovery', async () => {
  const { log, clock, runs, monitor } = setup();
  log.logger.emit('backend.down', { probe: 'mirai-http', lastReason: 'connection refused' }, 'down');
  await clock.advance(29_999);
  assert.deepEqual(runs, []);
  await clock.advance(1);
  assert.deepEqual(runs, [30_000]);
  assert.equal(log.events('backend.restart.run').length, 1);
  assert.equal(log.events('backend.restart')[0]?.exitCode, 0);
  // Still down: the next run waits for the cooldown.
  await clock.advance(60_000);
  assert.equal(runs.length, 1);
  // Back, then a short outage that ends before `after`: no run.
  log.logger.emit('backend.ready', {}, 'ready');
  await clock.advance(600_000);
  log.logger.emit('backend.down', { probe: 'mirai-ws', lastReason: 'closed' }, 'down');
  await clock.advance(10_000);
  log.logger.emit('backend.ready', {}, 'ready');
  await clock.advance(60_000);
  assert.equal(runs.length, 1);
  monitor.stop();
});

test('backend.restart: an account offline for `after` runs it too; other events change nothing; none for onebot-reverse or without the key', async () => {
  const { log, clock, runs, monitor } = setup('onebot');
  log.logger.emit('child.spawn', { pid: 1, command: ['x'] }, 'spawned');
  log.logger.emit('backend.account-offline', { probe: 'onebot-ws', type: 'heartbeat' }, 'offline');
  await clock.advance(30_000);
  assert.deepEqual(runs, [30_000]);
  assert.equal(log.events('backend.restart.run')[0]?.problem, 'account-offline');
  monitor.stop();
  const reverse = resolveConfig({ command: ['x'], backend: { kind: 'onebot-reverse', listen: 9466, restart: { command: ['true'] } } });
  assert.equal(createBackendRestartMonitor(reverse, log.logger, clock), undefined, 'onebot-reverse feeds its own');
  const without = resolveConfig({ command: ['x'], backend: { kind: 'mirai', url: 'http://127.0.0.1:8080', verifyKey: 'k' } });
  assert.equal(createBackendRestartMonitor(without, log.logger, clock), undefined);
});
