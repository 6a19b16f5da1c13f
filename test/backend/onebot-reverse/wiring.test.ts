// What composes: NapCat's link feeding the backend restarter through the health sink, and the log
// lines of both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BackendRestarter } from '../../../src/backend/backend-restarter.js';
import { logBackendRestarter } from '../../../src/backend/restarter-log.js';
import { FakeNapCat } from '../../helpers/fake-napcat.js';
import { memoryLogger } from '../../helpers/log-sink.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { waitFor } from '../../helpers/wait.js';
import { ReverseRig } from './reverse-rig.js';

const TOKEN = 'wiring-secret';

test('NapCat down, then its account kicked: the sink publishes down → ready → account-offline; every transition is logged once, no secret', async (t) => {
  const timers = new FakeClock(Date.UTC(2024, 4, 1));
  const log = memoryLogger('debug');
  const backend = new ReverseRig(timers, { accessToken: TOKEN, logger: log.logger });
  const facts: string[] = [];
  backend.handle.sink.subscribe((u) => u.kind === 'backend' && u.fact.type !== 'linked' && facts.push(u.fact.type));
  await backend.start();
  const fake = FakeNapCat.start({ url: `ws://127.0.0.1:${backend.listeningOn()!.port}/`, accessToken: TOKEN, heartbeatInterval: 0, announcedInterval: 5000, reconnectInterval: 20 });
  t.after(async () => {
    await fake.stop();
    await backend.stop();
  });
  await fake.waitForOpen(true);
  let ready = waitFor(backend, 'ready');
  fake.heartbeat();
  await ready;
  fake.heartbeat(); // a second heartbeat logs nothing new
  timers.advanceSync(10_000); // no heartbeat for 2 × 5 s
  ready = waitFor(backend, 'ready');
  fake.heartbeat();
  await ready;
  const offline = waitFor(backend, 'account-offline');
  fake.kick();
  await offline;
  // A wrong token: misconfigured, logged once however often NapCat retries.
  const wrong = FakeNapCat.start({ url: `ws://127.0.0.1:${backend.listeningOn()!.port}/?access_token=nope`, accessToken: 'nope', heartbeatInterval: 0, reconnectInterval: 20 });
  t.after(() => wrong.stop());
  let refusals = 0;
  await new Promise<void>((resolve) => backend.on('refused', () => ++refusals === 3 && resolve()));

  assert.deepEqual(facts, ['ready', 'down', 'ready', 'account-offline']);
  const names = log.records.filter((r) => r.level !== 'debug').map((r) => r.event);
  assert.deepEqual(names, [
    'backend.listening',
    'backend.ready',
    'backend.down',
    'probe.failed',
    'backend.ready',
    'probe.recovered',
    'backend.account-offline',
    'probe.failed',
    'probe.misconfigured',
  ]);
  assert.equal(log.events('ws.heartbeat').length, 1, 'the first heartbeat of a link, at debug');
  assert.equal(log.events('probe.misconfigured').length, 1, 'repeated refusals: logged once (by the health sink)');
  const down = log.events('backend.down')[0]!;
  assert.deepEqual([down.level, down['probe'], down['cause'], down['silentMs']], ['warn', 'onebot-reverse', 'heartbeat-timeout', 10_000]);
  assert.equal(log.events('backend.ready')[1]?.['downMs'], 0);
  assert.equal(log.events('probe.misconfigured')[0]?.level, 'error');
  assert.doesNotMatch(JSON.stringify(log.records), /wiring-secret|nope/);
});

test('restarter log lines: run, result with bounded output, give-up naming the human step, reset', async () => {
  const timers = new FakeClock(Date.UTC(2024, 4, 1));
  const log = memoryLogger('debug');
  const restarter = new BackendRestarter({
    command: ['systemctl', 'restart', 'napcat'],
    after: 1000,
    cooldown: 1000,
    maxAttempts: 1,
    clock: timers,
    run: async () => ({ exitCode: 1, signal: undefined, timedOut: false, durationMs: 12, output: 'Job failed\n', truncated: false }),
  });
  logBackendRestarter(restarter, log.logger);
  restarter.report('account-offline');
  const result = waitFor(restarter, 'result');
  timers.advanceSync(1000);
  await result;
  timers.advanceSync(1000);
  restarter.report(undefined);
  timers.advanceSync(1000);
  assert.deepEqual(log.records.map((r) => r.event), ['backend.restart.run', 'backend.restart', 'backend.restart.giveup', 'backend.restart.reset']);
  const line = log.events('backend.restart')[0]!;
  assert.deepEqual([line.level, line['exitCode'], line['output'], line['attempt'], line['problem']], ['warn', 1, 'Job failed\n', 1, 'account-offline']);
  assert.match(log.events('backend.restart.giveup')[0]?.msg ?? '', /needs a human .*QR code/);
});
