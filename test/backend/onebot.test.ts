import { systemClock } from '../../src/clock/clock.js';
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { OneBotHttpProbe } from '../../src/backend/onebot/onebot-http.js';
import { OneBotWsProbe, oneBotWsTarget, openOneBotLink } from '../../src/backend/onebot/onebot-ws.js';
import type { LinkLoss, LinkSignal } from '../../src/backend/ws-connection.js';
import { FakeOneBot, type FakeOneBotOptions } from '../helpers/fake-onebot.js';
import { waitFor } from '../helpers/wait.js';

const TOKEN = 'onebot-token';

async function setup(t: TestContext, opts: FakeOneBotOptions = {}) {
  const fake = await FakeOneBot.start({ accessToken: TOKEN, ...opts });
  t.after(() => fake.stop());
  return fake;
}

test('HTTP get_status: online and good is healthy; the token goes as Authorization: Bearer', async (t) => {
  const fake = await setup(t);
  const result = await new OneBotHttpProbe({ url: fake.url, accessToken: TOKEN, clock: systemClock }).check();
  assert.equal(result.verdict, 'healthy', result.reason);
  assert.equal(result.probe, 'onebot-http');
  const request = fake.requests[0];
  assert.equal(request?.path, '/get_status');
  assert.equal(request?.headers.authorization, `Bearer ${TOKEN}`);
  assert.deepEqual(request?.query, {}, 'never in the query');
});

test('HTTP get_status: offline or not good is unhealthy', async (t) => {
  const fake = await setup(t);
  const probe = new OneBotHttpProbe({ url: fake.url, accessToken: TOKEN, clock: systemClock });
  fake.setOnline(false);
  const offline = await probe.check();
  assert.equal(offline.verdict, 'unhealthy');
  assert.match(offline.reason, /account is offline/);
  fake.setOnline(true);
  fake.setGood(false);
  assert.match((await probe.check()).reason, /good is not true/);
});

test('HTTP: 401 (no token) and 403 (wrong token) are misconfigured, never a secret in the reason', async (t) => {
  const fake = await setup(t);
  const missing = await new OneBotHttpProbe({ url: fake.url, clock: systemClock }).check();
  assert.equal(missing.verdict, 'misconfigured');
  assert.match(missing.reason, /HTTP 401.*set backend\.accessToken/);
  const wrong = await new OneBotHttpProbe({ url: fake.url, accessToken: 'wrong-token', clock: systemClock }).check();
  assert.equal(wrong.verdict, 'misconfigured');
  assert.match(wrong.reason, /HTTP 403/);
  assert.doesNotMatch(JSON.stringify([missing, wrong]), /wrong-token|onebot-token/);
});

test('HTTP faults: garbage, failed retcode, refused, frozen', async (t) => {
  const fake = await setup(t);
  const probe = new OneBotHttpProbe({ url: fake.url, accessToken: TOKEN, clock: systemClock });
  await fake.fault('garbage');
  assert.match((await probe.check()).reason, /not a JSON object/);
  await fake.fault({ kind: 'wrongCode', code: 100, msg: 'busy' });
  assert.match((await probe.check()).reason, /failed \(retcode 100: busy\)/);
  await fake.fault('freeze');
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 200);
  assert.match((await probe.check(controller.signal)).reason, /no answer within/);
  await fake.fault('refuse');
  assert.match((await probe.check()).reason, /connection refused/);
  await fake.clearFaults();
  assert.equal((await probe.check()).verdict, 'healthy');
});

test('WebSocket one-shot: /event, the lifecycle event first, then closed again', async (t) => {
  const fake = await setup(t);
  const gone = fake.waitForDisconnect();
  const result = await new OneBotWsProbe({ url: fake.url, accessToken: TOKEN }, systemClock).check();
  assert.equal(result.verdict, 'healthy', result.reason);
  assert.match(result.reason, /lifecycle connect event/);
  assert.equal(result.details?.['selfId'], 10001);
  assert.equal((await gone).code, 1000);
  const upgrade = fake.requests.find((r) => r.upgrade);
  assert.equal(upgrade?.path, '/event');
  assert.equal(upgrade?.headers.authorization, `Bearer ${TOKEN}`);
});

test('WebSocket one-shot: 401/403 before the upgrade are misconfigured; garbage is unhealthy', async (t) => {
  const fake = await setup(t);
  assert.equal((await new OneBotWsProbe({ url: fake.url }, systemClock).check()).verdict, 'misconfigured');
  const wrong = await new OneBotWsProbe({ url: fake.url, accessToken: 'nope' }, systemClock).check();
  assert.equal(wrong.verdict, 'misconfigured');
  assert.match(wrong.reason, /403/);
  await fake.fault('garbage');
  const garbage = await new OneBotWsProbe({ url: fake.url, accessToken: TOKEN }, systemClock).check();
  assert.equal(garbage.verdict, 'unhealthy');
  assert.match(garbage.reason, /not a JSON object/);
});

test('the OneBot WebSocket endpoint: /event derived from url, or wsUrl as given', () => {
  assert.equal(oneBotWsTarget({ url: 'http://h:5700' }).display, 'ws://h:5700/event');
  assert.equal(oneBotWsTarget({ url: 'http://h:5700', wsUrl: 'ws://h:6700' }).display, 'ws://h:6700/event');
  assert.equal(oneBotWsTarget({ url: 'http://h:5700', wsUrl: 'ws://h:6700/' }).display, 'ws://h:6700/event');
  assert.deepEqual(oneBotWsTarget({ url: 'http://h:5700' }).headers, {});
});

test('persistent link: heartbeats are signals with their interval and status; none for 2×interval = lost', async (t) => {
  const fake = await setup(t, { heartbeatInterval: 100 });
  const attempt = await openOneBotLink({ url: fake.url, accessToken: TOKEN }, { pingInterval: 10_000, pongTimeout: 5000, clock: systemClock }, { timeout: 2000 });
  const connection = attempt.connection!;
  t.after(() => connection.close());
  const beat = await waitFor<LinkSignal>(connection, 'signal');
  assert.deepEqual(beat, { kind: 'heartbeat', intervalMs: 100, online: true });
  fake.setOnline(false);
  const offline = await waitFor<LinkSignal>(connection, 'signal', (s) => s.kind === 'heartbeat' && s.online === false);
  assert.equal(offline.kind, 'heartbeat');
  const lost = waitFor<LinkLoss>(connection, 'lost', () => true, 5000);
  fake.stopHeartbeats();
  const loss = await lost;
  assert.equal(loss.cause, 'heartbeat-timeout');
  assert.match(loss.reason, /no heartbeat for 2000ms \(the server announced one every 100ms; counted as 1000ms\)/);
});

test('persistent link: a frozen OneBot server is lost for want of a pong', async (t) => {
  const fake = await setup(t, { heartbeatInterval: 60_000 });
  const attempt = await openOneBotLink({ url: fake.url, accessToken: TOKEN }, { pingInterval: 100, pongTimeout: 200, clock: systemClock }, { timeout: 2000 });
  const connection = attempt.connection!;
  t.after(() => connection.close());
  const lost = waitFor<LinkLoss>(connection, 'lost', () => true, 5000);
  await fake.fault('freeze');
  assert.equal((await lost).cause, 'pong-timeout');
});
