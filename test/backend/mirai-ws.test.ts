import { systemClock } from '../../src/clock/clock.js';
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { MiraiBotPresence } from '../../src/backend/mirai/bot-presence.js';
import { MiraiWsProbe, miraiWsTarget, openMiraiLink, type MiraiWsOptions } from '../../src/backend/mirai/mirai-ws.js';
import type { LinkLoss, LinkSignal } from '../../src/backend/ws-connection.js';
import { FakeMirai } from '../helpers/fake-mirai.js';
import { waitFor } from '../helpers/wait.js';

const KEY = 'ws-probe-key';
const QQ = 123456789;

async function setup(t: TestContext, bots = [QQ]) {
  const fake = await FakeMirai.start({ verifyKey: KEY, bots });
  t.after(() => fake.stop());
  const options = (extra: Partial<MiraiWsOptions> = {}): MiraiWsOptions => ({ url: fake.url, verifyKey: KEY, qq: QQ, ...extra });
  return { fake, options };
}

test('one-shot: the handshake on /event gives code 0; the link and its session are closed again', async (t) => {
  const { fake, options } = await setup(t);
  const gone = fake.waitForDisconnect();
  const result = await new MiraiWsProbe(options(), systemClock).check();
  assert.equal(result.verdict, 'healthy', result.reason);
  assert.equal(result.probe, 'mirai-ws');
  assert.equal(result.details?.['url'], `${fake.wsUrl}/event`);
  const closed = await gone;
  assert.equal(closed.code, 1000, 'a normal close');
  assert.equal(fake.sessions(), 0);
  const upgrade = fake.requests.find((r) => r.upgrade);
  assert.equal(upgrade?.path, '/event');
  assert.equal(upgrade?.headers['verifykey'], KEY, 'verifyKey as a header');
  assert.equal(upgrade?.headers['qq'], String(QQ));
  assert.deepEqual(upgrade?.query, { verifyKey: KEY, qq: String(QQ) }, 'and in the query');
});

test('one-shot: wrong verifyKey is misconfigured; a bot that is not logged in is unhealthy (code 2)', async (t) => {
  const { fake, options } = await setup(t);
  const wrong = await new MiraiWsProbe(options({ verifyKey: 'nope-nope' }), systemClock).check();
  assert.equal(wrong.verdict, 'misconfigured');
  assert.match(wrong.reason, /code 1 from the WebSocket handshake/);
  assert.doesNotMatch(JSON.stringify(wrong), /nope-nope|ws-probe-key/);

  fake.setBots([]);
  const missing = await new MiraiWsProbe(options(), systemClock).check();
  assert.equal(missing.verdict, 'unhealthy');
  assert.match(missing.reason, /bot 123456789 is not logged in to mirai yet \(code 2/);
  assert.equal(missing.details?.['miraiCode'], 2);
});

test('a code 2 for a qq that /botList has shown to be a typo is misconfigured, with the same reason as the poll', async (t) => {
  const { options } = await setup(t, [777]);
  const presence = new MiraiBotPresence(QQ, 1);
  const before = await new MiraiWsProbe(options({ presence }), systemClock).check();
  assert.equal(before.verdict, 'unhealthy', 'nothing said it is a typo yet');
  assert.equal(presence.observe([777]).verdict, 'misconfigured');
  const after = await new MiraiWsProbe(options({ presence }), systemClock).check();
  assert.equal(after.verdict, 'misconfigured');
  assert.equal(after.reason, presence.misconfigured);
  assert.equal(after.details?.['miraiCode'], 2);
});

test('without qq: the one bot of /botList; none is unhealthy; several is misconfigured', async (t) => {
  const { fake, options } = await setup(t, [777]);
  const one = await new MiraiWsProbe(options({ qq: undefined }), systemClock).check();
  assert.equal(one.verdict, 'healthy', one.reason);
  assert.match(one.reason, /bot 777/);
  fake.setBots([]);
  assert.match((await new MiraiWsProbe(options({ qq: undefined }), systemClock).check()).reason, /no bot is logged in/);
  fake.setBots([1, 2]);
  const several = await new MiraiWsProbe(options({ qq: undefined }), systemClock).check();
  assert.equal(several.verdict, 'misconfigured');
  assert.match(several.reason, /several bots .*\(1, 2\).*set backend\.qq/);
});

test('one-shot faults: refused, garbage, wrong code, frozen, no WebSocket at the path', async (t) => {
  const { fake, options } = await setup(t);
  const probe = new MiraiWsProbe(options(), systemClock);

  await fake.fault('garbage');
  const garbage = await probe.check();
  assert.equal(garbage.verdict, 'unhealthy');
  assert.match(garbage.reason, /first WebSocket frame is not a JSON object/);

  await fake.fault({ kind: 'wrongCode', code: 500, msg: 'internal' });
  assert.match((await probe.check()).reason, /code 500 to the WebSocket handshake: internal/);

  await fake.fault('freeze');
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 200);
  const frozen = await probe.check(controller.signal);
  assert.equal(frozen.verdict, 'unhealthy');
  assert.match(frozen.reason, /no WebSocket handshake within \d+ms/);

  await fake.fault('refuse');
  assert.match((await probe.check()).reason, /connection refused/);
  await fake.fault('drop');
  assert.equal((await probe.check()).verdict, 'unhealthy');
  await fake.clearFaults();

  const nowhere = await new MiraiWsProbe(options({ wsUrl: `${fake.wsUrl}/nowhere` }), systemClock).check();
  assert.equal(nowhere.verdict, 'misconfigured');
  assert.match(nowhere.reason, /HTTP 404/);
  assert.equal((await probe.check()).verdict, 'healthy');
});

test('the WebSocket endpoint: derived from url (http→ws, https→wss, prefix kept) or taken from wsUrl', () => {
  const base = { verifyKey: 'K', qq: 1 };
  const display = (o: Partial<MiraiWsOptions>) => miraiWsTarget({ url: 'http://h:8080', ...base, ...o }, 1).display;
  assert.equal(display({}), 'ws://h:8080/event');
  assert.equal(display({ url: 'https://h' }), 'wss://h/event');
  assert.equal(display({ url: 'http://h:1/mirai/' }), 'ws://h:1/mirai/event');
  assert.equal(display({ wsUrl: 'ws://other:9000' }), 'ws://other:9000/event');
  assert.equal(display({ wsUrl: 'ws://other:9000/all' }), 'ws://other:9000/all');
  const target = miraiWsTarget({ url: 'http://h:8080', ...base }, 1);
  assert.equal(target.url.search, '?verifyKey=K&qq=1');
  assert.deepEqual(target.headers, { qq: '1', verifyKey: 'K' });
  const noVerify = miraiWsTarget({ url: 'http://h:8080', verifyKey: '', qq: 1 }, 1);
  assert.equal(noVerify.url.search, '?qq=1', 'enableVerify: false — no key sent');
});

async function link(t: TestContext, options: MiraiWsOptions, liveness = { pingInterval: 100, pongTimeout: 200 }) {
  const attempt = await openMiraiLink(options, { ...liveness, clock: systemClock }, { timeout: 2000 });
  assert.equal(attempt.result.verdict, 'healthy', attempt.result.reason);
  const connection = attempt.connection!;
  t.after(() => connection.close());
  return connection;
}

test('persistent link: a drop (no close frame) is lost at once with code 1006', async (t) => {
  const { fake, options } = await setup(t);
  const connection = await link(t, options());
  const lost = waitFor<LinkLoss>(connection, 'lost');
  assert.equal(fake.dropConnection(), 1);
  const loss = await lost;
  assert.equal(loss.cause, 'closed');
  assert.equal(loss.closeCode, 1006);
  assert.match(loss.reason, /without a close frame \(1006/);
  assert.equal(connection.isOpen, false);
});

test('persistent link: a close frame from the server (any code) is lost too', async (t) => {
  const { fake, options } = await setup(t);
  const connection = await link(t, options());
  const lost = waitFor<LinkLoss>(connection, 'lost');
  await fake.stop(); // a server going down closes its sockets
  const loss = await lost;
  assert.equal(loss.cause, 'closed');
  assert.equal(typeof loss.closeCode, 'number');
});

test('persistent link: pings are answered; a frozen server is lost for want of a pong', async (t) => {
  const { fake, options } = await setup(t);
  const connection = await link(t, options());
  // Several ping intervals (100 ms) pass without a loss while the server answers.
  const quiet = await waitFor(connection, 'lost', () => true, 600).then(() => 'lost', () => 'quiet');
  assert.equal(quiet, 'quiet');
  const lost = waitFor<LinkLoss>(connection, 'lost', () => true, 5000);
  await fake.fault('freeze');
  const loss = await lost;
  assert.equal(loss.cause, 'pong-timeout');
  assert.match(loss.reason, /no pong within 200ms/);
});

test('persistent link: account events for our bot become signals; garbage frames are ignored', async (t) => {
  const { fake, options } = await setup(t);
  const connection = await link(t, options(), { pingInterval: 10_000, pongTimeout: 5000 });
  const signals: LinkSignal[] = [];
  connection.on('signal', (s) => signals.push(s));
  const got = (n: number) => waitFor(connection, 'signal', () => signals.length >= n);
  let next = got(1);
  fake.pushEvent({ type: 'BotOfflineEventForce', qq: QQ, title: '下线', message: 'another device' });
  await next;
  fake.pushEvent({ type: 'FriendInputStatusChangedEvent', qq: QQ });
  fake.pushEvent({ type: 'BotOfflineEventDropped', qq: 42 }); // another bot
  await fake.fault('garbage');
  fake.pushEvent({ type: 'BotOfflineEventDropped', qq: QQ }); // arrives as bytes that are not JSON
  await fake.clearFaults();
  next = got(2);
  fake.pushEvent({ type: 'BotReloginEvent', qq: QQ });
  await next;
  assert.equal(connection.isOpen, true, 'garbage does not end the link');
  assert.deepEqual(signals, [
    { kind: 'account', online: false, event: 'BotOfflineEventForce', details: { qq: QQ, title: '下线', message: 'another device' } },
    { kind: 'account', online: true, event: 'BotReloginEvent', details: { qq: QQ } },
  ]);
});

test('persistent link: close() ends it with 1000 and no lost event; the session goes with it', async (t) => {
  const { fake, options } = await setup(t);
  const connection = await link(t, options());
  let lost = false;
  connection.on('lost', () => (lost = true));
  const gone = fake.waitForDisconnect();
  connection.close();
  assert.equal((await gone).code, 1000);
  assert.equal(fake.sessions(), 0);
  assert.equal(lost, false);
});
