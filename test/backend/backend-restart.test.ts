import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBackendRestart } from '../../src/backend/backend-restart.js';
import { resolveConfig } from '../../src/config/load-config.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeHandle } from '../helpers/fake-handle.js';
import { memoryLogger } from '../helpers/log-sink.js';

const ok = { exitCode: 0, signal: undefined, timedOut: false, durationMs: 1, output: '', truncated: false };
const down = (probe: string, lastReason: string) => ({ type: 'down' as const, probe, evidence: { probe, lastReason } });

function setup(kind: 'mirai' | 'onebot' | 'onebot-reverse' = 'mirai') {
  const log = memoryLogger('info');
  const clock = new FakeClock();
  const handle = new FakeHandle(clock, log.logger);
  const runs: number[] = [];
  const restart = { command: ['systemctl', 'restart', 'mirai'], after: '30s', cooldown: '10m' };
  const backend = kind === 'onebot-reverse' ? { kind, listen: 9466, restart } : { kind, url: 'http://127.0.0.1:8080', ...(kind === 'mirai' ? { verifyKey: 'k' } : {}), restart };
  const config = resolveConfig({ command: ['x'], backend });
  const plugin = createBackendRestart(config, log.logger, clock, async () => (runs.push(clock.now()), ok));
  assert.ok(plugin);
  plugin.start(handle);
  return { log, clock, runs, plugin, sink: handle.sink };
}

test('backend.restart: runs `after` into an outage the backend\'s facts report (through the health sink, not the log), at most once per cooldown; not after a recovery', async () => {
  const { log, clock, runs, plugin, sink } = setup();
  // A log line is for people: it feeds nothing.
  log.logger.emit('backend.down', { probe: 'mirai-http', lastReason: 'connection refused' }, 'down');
  await clock.advance(60_000);
  assert.deepEqual(runs, []);
  sink.fact(down('mirai-http', 'connection refused'));
  await clock.advance(29_999);
  assert.deepEqual(runs, []);
  await clock.advance(1);
  assert.deepEqual(runs, [90_000]);
  assert.equal(log.events('backend.restart.run').length, 1);
  assert.equal(log.events('backend.restart')[0]?.exitCode, 0);
  // Still down: the next run waits for the cooldown.
  await clock.advance(60_000);
  assert.equal(runs.length, 1);
  // Back, then a short outage that ends before `after`: no run.
  sink.fact({ type: 'ready', probe: 'mirai-http' });
  await clock.advance(600_000);
  sink.fact(down('mirai-ws', 'closed'));
  await clock.advance(10_000);
  sink.fact({ type: 'ready', probe: 'mirai-ws' });
  await clock.advance(60_000);
  assert.equal(runs.length, 1);
  plugin.stop();
});

test('backend.restart: an account offline for `after` runs it too; a blip or a link fact changes nothing; none without the key', async () => {
  const { log, clock, runs, plugin, sink } = setup('onebot');
  sink.fact({ type: 'blip', probe: 'onebot-ws', lostAt: 0, evidence: { probe: 'onebot-ws', lastReason: 'closed' } });
  sink.fact({ type: 'account-offline', probe: 'onebot-ws', evidence: { probe: 'onebot-ws', type: 'heartbeat' } });
  await clock.advance(30_000);
  assert.deepEqual(runs, [30_000]);
  assert.equal(log.events('backend.restart.run')[0]?.problem, 'account-offline');
  plugin.stop();
  const without = resolveConfig({ command: ['x'], backend: { kind: 'mirai', url: 'http://127.0.0.1:8080', verifyKey: 'k' } });
  assert.equal(createBackendRestart(without, log.logger, clock), undefined);
});

test('backend.restart for onebot-reverse too: one account of several offline is enough; all back online stops it', async () => {
  const { clock, runs, plugin, sink } = setup('onebot-reverse');
  const offline = (account: number) => ({ type: 'account-offline' as const, probe: 'onebot-reverse', account, evidence: { probe: 'onebot-reverse', type: 'bot_offline' } });
  const online = (account: number) => ({ type: 'account-online' as const, probe: 'onebot-reverse', account, evidence: { probe: 'onebot-reverse', type: 'heartbeat' } });
  sink.fact(offline(1));
  sink.fact(offline(2));
  sink.fact(online(1));
  await clock.advance(30_000);
  assert.deepEqual(runs, [30_000], 'account 2 is still offline');
  sink.fact(online(2));
  await clock.advance(600_000);
  assert.equal(runs.length, 1);
  plugin.stop();
});
