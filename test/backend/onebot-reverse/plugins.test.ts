// The onebot-reverse backend as the supervisor sees it: probe reports, no restart of the bot ever,
// backend.restart fed by its facts through the health sink; and restart.schedule's plug-in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BackendRestarter } from '../../../src/backend/backend-restarter.js';
import { BackendRestart } from '../../../src/backend/backend-restart.js';
import { createBackend } from '../../../src/backend/create-backend.js';
import { BackendWatcher } from '../../../src/backend/backend-watcher.js';
import { backendRuleOf, POLICIES } from '../../../src/backend/policy.js';
import { resolveConfig } from '../../../src/config/load-config.js';
import { ScheduledRestarts } from '../../../src/supervisor/schedule.js';
import { FakeHandle } from '../../helpers/fake-handle.js';
import { FakeNapCat } from '../../helpers/fake-napcat.js';
import { memoryLogger } from '../../helpers/log-sink.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { waitFor } from '../../helpers/wait.js';
import { ReverseRig } from './reverse-rig.js';

test('NapCat down and its account kicked: reported as the onebot-reverse probe, the running bot is never restarted, backend.restart runs', async (t) => {
  const timers = new FakeClock(Date.UTC(2024, 4, 1));
  const log = memoryLogger('info');
  const runs: number[] = [];
  const restarter = new BackendRestarter({
    command: ['docker', 'restart', 'napcat'],
    after: 30_000,
    cooldown: 600_000,
    clock: timers,
    run: async () => (runs.push(timers.now()), { exitCode: 0, signal: undefined, timedOut: false, durationMs: 1, output: '', truncated: false }),
  });
  const backend = new ReverseRig(timers, { logger: log.logger });
  const { handle } = backend;
  handle.sink.setBackendRule(backendRuleOf(POLICIES['onebot-reverse']));
  const restarts = new BackendRestart(restarter, log.logger);
  restarts.start(handle);
  handle.spawn();
  await backend.start();
  const fake = FakeNapCat.start({ url: `ws://127.0.0.1:${backend.listeningOn()!.port}/`, heartbeatInterval: 0, announcedInterval: 5000, reconnectInterval: 20 });
  t.after(async () => {
    await fake.stop();
    restarts.stop();
    await backend.stop();
  });
  await fake.waitForOpen(true);
  const ready = waitFor(backend, 'ready');
  fake.heartbeat();
  await ready;
  const offline = waitFor(backend, 'account-offline');
  fake.kick();
  await offline;
  timers.advanceSync(10_000); // no heartbeat: down as well
  timers.advanceSync(30_000); // offline for `after`
  await new Promise((resolve) => setImmediate(resolve));

  assert.deepEqual(handle.reports.map((r) => [r.probe, r.verdict]), [
    ['onebot-reverse', 'unknown'],
    ['onebot-reverse', 'healthy'],
    ['onebot-reverse', 'unhealthy'],
    ['onebot-reverse', 'unhealthy'],
  ]);
  assert.match(handle.reports[2]?.reason ?? '', /reported its QQ account offline: 当前账号在其他设备登录/);
  assert.match(handle.reports[3]?.reason ?? '', /no heartbeat for 10000ms/);
  assert.equal(handle.reports[1]?.at, timers.wallNow() - 40_000);
  assert.deepEqual(handle.restarts, [], 'NapCat reconnects to the bot by itself: never a restart of the bot');
  assert.deepEqual(runs, [30_000], 'backend.restart ran `after` into the account being offline');
  assert.deepEqual(
    log.records.map((r) => r.event).filter((e) => !e?.startsWith('ws.')),
    ['backend.listening', 'backend.ready', 'backend.account-offline', 'probe.failed', 'backend.down', 'backend.restart.run', 'backend.restart'],
  );
});

test('createBackend for onebot-reverse: a watcher that is no start gate, without a poll', () => {
  const { logger } = memoryLogger();
  const timers = new FakeClock(Date.UTC(2024, 4, 1));
  const config = resolveConfig({ command: ['x'], backend: { kind: 'onebot-reverse', listen: 9466, restart: { command: ['true'] } } });
  const backend = createBackend(config, { clock: timers });
  const watcher = backend?.watcher(new FakeHandle(timers).health, logger);
  assert.ok(watcher instanceof BackendWatcher);
  assert.equal(watcher.gatesStart, false);
  assert.equal(backend?.pollProbe, undefined);
});

test('restart.schedule plug-in: a `scheduled` restart at each due time; none asked when no bot runs', () => {
  const timers = new FakeClock(Date.parse('2024-05-01T03:54:00Z'));
  const log = memoryLogger('info');
  const handle = new FakeHandle(timers);
  const schedule = new ScheduledRestarts('*/30 * * * *', log.logger, timers);
  schedule.start(handle);
  handle.spawn();
  timers.advanceSync(6 * 60_000); // 04:00 (up 6 min: a bot up less than 5 min is not restarted)
  assert.deepEqual(handle.restarts.map((r) => [r.reason, r.evidence]), [['scheduled', { due: '2024-05-01T04:00:00.000Z' }]]);
  handle.exit();
  timers.advanceSync(30 * 60_000); // 04:30, no bot
  assert.equal(handle.restarts.length, 1);
  const lines = log.events('restart.planned').filter((line) => line['due'] !== undefined); // the first line, at start, names the next due time only
  assert.deepEqual(lines.map((l) => [l['due'], l['restarted'], l['next']]), [
    ['2024-05-01T04:00:00.000Z', true, '2024-05-01T04:30:00.000Z'],
    ['2024-05-01T04:30:00.000Z', false, '2024-05-01T05:00:00.000Z'],
  ]);
  schedule.stop();
  assert.equal(timers.pending(), 0);
});
