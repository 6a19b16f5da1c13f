// NapCat's listener and the one backend reducer on real sockets, driven by the fake NapCat; the
// deadline timer runs on virtual time, so every "down" is asserted at its exact moment.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import { connect } from 'node:net';
import { once } from 'node:events';
import { ReverseRig, type RigOptions } from './reverse-rig.js';
import { FakeNapCat, type FakeNapCatOptions } from '../../helpers/fake-napcat.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { waitFor } from '../../helpers/wait.js';

const TOKEN = 'napcat-secret';
const SELF = 123456789;

type Event = { at?: number; [key: string]: unknown };
type Seen = Record<string, Event[] | undefined>;

interface Setup {
  backend: ReverseRig;
  timers: FakeClock;
  url: string;
  seen: Seen;
  napcat(options?: Partial<FakeNapCatOptions>): FakeNapCat;
}

async function setup(t: TestContext, options: RigOptions = {}): Promise<Setup> {
  const timers = new FakeClock(Date.UTC(2024, 4, 1), 1000);
  const backend = new ReverseRig(timers, { accessToken: TOKEN, ...options });
  const seen: Seen = {};
  const names = ['ready', 'down', 'blip', 'account-offline', 'account-online', 'connection', 'disconnection', 'refused', 'garbage', 'listening', 'listen-error'];
  for (const name of names) backend.on(name, (e: Event) => (seen[name] ??= []).push(e));
  const napcats: FakeNapCat[] = [];
  t.after(async () => {
    for (const n of napcats) await n.stop();
    await backend.stop();
  });
  await backend.start();
  const port = backend.listeningOn()?.port;
  assert.ok(port, 'listening');
  const url = `ws://127.0.0.1:${port}/onebot/v11/ws`;
  return {
    backend,
    timers,
    url,
    seen,
    napcat: (o = {}) => {
      const fake = FakeNapCat.start({ url, selfId: SELF, accessToken: TOKEN, heartbeatInterval: 0, announcedInterval: 5000, reconnectInterval: 20, ...o });
      napcats.push(fake);
      return fake;
    },
  };
}

/** How many were seen (a function: an assertion on the field itself would narrow it for good). */
const seenCount = (list: unknown[] | undefined) => list?.length ?? 0;

/** The next heartbeat the backend has processed. */
const nextBeat = (backend: ReverseRig) => waitFor(backend, 'heartbeat');

test('NapCat links with its headers: ready on the first heartbeat, with X-Self-ID, role and path (no query)', async (t) => {
  const s = await setup(t);
  const connected = waitFor<Event>(s.backend, 'connection');
  const fake = s.napcat({ tokenIn: 'both' });
  const info = await connected;
  assert.deepEqual([info.selfId, info.role, info.path], [SELF, 'Universal', '/onebot/v11/ws']);
  assert.doesNotMatch(JSON.stringify(info), new RegExp(TOKEN));
  assert.equal(s.backend.isReady(), false, 'a lifecycle event alone is not ready');
  await fake.waitForOpen(true);
  const ready = waitFor<Event>(s.backend, 'ready');
  fake.heartbeat();
  assert.deepEqual(await ready, { selfId: SELF, intervalMs: 5000, at: 1000 });
  assert.equal(s.backend.isReady(), true);
  const snap = s.backend.snapshot();
  assert.equal(snap.connections, 1);
  assert.equal(snap.selfId, SELF);
  assert.equal(snap.account, 'online');
  assert.match(snap.listening ?? '', /^127\.0\.0\.1:\d+$/);
});

test('token in the query only (access_token) is accepted too', async (t) => {
  const s = await setup(t);
  const fake = s.napcat({ tokenIn: 'query' });
  await fake.waitForOpen(true);
  assert.equal(s.seen.refused, undefined);
});

test('no token: 401; a wrong one: 403 (NapCat without a token sends "Bearer "); both reported as refused', async (t) => {
  const s = await setup(t);
  const missing = s.napcat({ accessToken: '', reconnectInterval: 60_000 });
  assert.equal((await waitFor<{ status?: number }>(missing, 'connect-failed')).status, 401);
  const wrong = s.napcat({ accessToken: 'not-it', reconnectInterval: 60_000 });
  assert.equal((await waitFor<{ status?: number }>(wrong, 'connect-failed')).status, 403);
  assert.deepEqual(
    s.seen.refused?.map((r) => r.status),
    [401, 403],
  );
  assert.match(String(s.seen.refused?.[1]?.['reason'] ?? ''), /wrong access token/);
  assert.doesNotMatch(JSON.stringify(s.seen.refused), /not-it|napcat-secret/);
  assert.doesNotMatch(JSON.stringify(s.backend.handle.reports), /not-it|napcat-secret/);
  assert.equal(s.backend.snapshot().connections, 0);
});

test('without backend.accessToken any client is accepted', async (t) => {
  const s = await setup(t, { accessToken: undefined });
  const fake = s.napcat({ accessToken: 'whatever' });
  await fake.waitForOpen(true);
});

test('heartbeats stop on an open link: down exactly 2 × the interval after the last one', async (t) => {
  const s = await setup(t);
  const fake = s.napcat();
  await fake.waitForOpen(true);
  let seen = nextBeat(s.backend);
  fake.heartbeat();
  await seen;
  s.timers.advanceSync(5000);
  seen = nextBeat(s.backend);
  fake.heartbeat(); // at 6000: deadline 16 000
  await seen;
  s.timers.advanceToSync(15_999);
  assert.equal(seenCount(s.seen.down), 0);
  assert.equal(s.backend.isReady(), true);
  s.timers.advanceToSync(16_000);
  assert.equal(seenCount(s.seen.down), 1);
  assert.deepEqual(s.seen.down?.[0], { cause: 'heartbeat-timeout', reason: 'no heartbeat for 10000ms (NapCat announced one every 5000ms)', silentMs: 10_000, at: 16_000 });
  assert.equal(s.backend.isReady(), false);
  assert.equal(s.backend.snapshot().connections, 1, 'the link itself stays open');
  // Heartbeats resume: ready again, with the time it was down.
  const ready = waitFor<Event>(s.backend, 'ready');
  s.timers.advanceSync(4000);
  fake.heartbeat();
  assert.equal((await ready).downMs, 4000);
});

test('NapCat drops and does not come back: down at the deadline with close code 1006', async (t) => {
  const s = await setup(t);
  const fake = s.napcat({ reconnectInterval: 3_600_000 });
  await fake.waitForOpen(true);
  const seen = nextBeat(s.backend);
  fake.heartbeat();
  await seen;
  const gone = waitFor(s.backend, 'disconnection');
  fake.drop();
  assert.equal((await gone as { code: number }).code, 1006);
  assert.equal(s.backend.isReady(), false);
  s.timers.advanceSync(10_000);
  assert.equal(s.seen.down?.[0]?.cause, 'closed');
  assert.equal(s.seen.down?.[0]?.closeCode, 1006);
});

test('NapCat drops and reconnects (its reconnectInterval): a blip, never down', async (t) => {
  const s = await setup(t);
  const fake = s.napcat();
  await fake.waitForOpen(true);
  let seen = nextBeat(s.backend);
  fake.heartbeat();
  await seen;
  const back = fake.waitForOpen();
  fake.drop();
  await back;
  s.timers.advanceSync(3000);
  const blip = waitFor<Event>(s.backend, 'blip');
  seen = nextBeat(s.backend);
  fake.heartbeat();
  await seen;
  assert.deepEqual(await blip, { closeCode: 1006, downMs: 3000, at: 4000 });
  s.timers.advanceToSync(13_999); // the reconnect's heartbeat at 4000 set the next deadline
  assert.equal(seenCount(s.seen.down), 0);
  assert.equal(fake.opens, 2);
});

test('bot_offline: account-offline at once; online heartbeats on that link do not clear it; a relogin (new link) does', async (t) => {
  const s = await setup(t);
  const fake = s.napcat();
  await fake.waitForOpen(true);
  let seen = nextBeat(s.backend);
  fake.heartbeat();
  await seen;
  const offline = waitFor<Event>(s.backend, 'account-offline');
  fake.kick('被挤下线', '当前账号在其他设备登录');
  assert.deepEqual(await offline, { cause: 'bot_offline', tag: '被挤下线', message: '当前账号在其他设备登录', selfId: SELF, at: 1000 });
  assert.equal(s.backend.accountOnline(), false);
  assert.equal(s.backend.isReady(), true, 'the link is fine: only the account is offline');
  fake.setOnline(true);
  seen = nextBeat(s.backend);
  fake.heartbeat();
  await seen;
  assert.equal(s.backend.accountOnline(), false, 'a kick is final until a new lifecycle event');
  const online = waitFor<Event>(s.backend, 'account-online');
  const back = fake.waitForOpen();
  fake.disconnect();
  await back;
  s.timers.advanceSync(2500);
  fake.heartbeat();
  assert.deepEqual(await online, { offlineMs: 2500, selfId: SELF, at: 3500 });
});

test('status.online=false in heartbeats: account offline, then online again', async (t) => {
  const s = await setup(t);
  const fake = s.napcat({ online: false });
  await fake.waitForOpen(true);
  const offline = waitFor<Event>(s.backend, 'account-offline');
  fake.heartbeat();
  assert.equal((await offline).cause, 'heartbeat');
  const online = waitFor(s.backend, 'account-online');
  fake.setOnline(true);
  fake.heartbeat();
  await online;
  assert.equal(s.backend.accountOnline(), true);
});

test('an absurd interval (1 ms) and a flood of heartbeats: one timer, down 2 s after the last', async (t) => {
  const s = await setup(t);
  const fake = s.napcat({ announcedInterval: 1 });
  await fake.waitForOpen(true);
  let count = 0;
  const all = new Promise<void>((resolve) =>
    s.backend.on('heartbeat', () => {
      if (++count === 500) resolve();
    }),
  );
  const armedBefore = s.timers.armed;
  for (let i = 0; i < 500; i++) fake.heartbeat();
  await all;
  assert.equal(s.timers.armed - armedBefore, 1, 'the deadline timer is armed once, not per heartbeat');
  assert.equal(s.timers.pending(), 1);
  s.timers.advanceSync(1999);
  assert.equal(seenCount(s.seen.down), 0);
  s.timers.advanceSync(1);
  assert.equal(seenCount(s.seen.down), 1);
  assert.equal(s.timers.pending(), 0, 'down: no timer until the next heartbeat');
});

test('garbage frames never crash it: binary, not JSON, JSON of the wrong shape; the link stays usable', async (t) => {
  const s = await setup(t);
  const fake = s.napcat();
  await fake.waitForOpen(true);
  fake.sendRaw(Buffer.from([0, 1, 2, 255]), true);
  fake.sendRaw('{"post_type":"meta_event", truncated');
  fake.sendRaw('["meta_event"]');
  fake.sendRaw('{"post_type":"meta_event","meta_event_type":"heartbeat","status":"yes","interval":"soon"}');
  fake.sendRaw('{"post_type":"notice","notice_type":"bot_offline","user_id":{"x":1},"message":42}');
  fake.sendRaw('plain words, no JSON at all');
  const ready = waitFor(s.backend, 'ready');
  fake.heartbeat();
  await ready;
  const snap = s.backend.snapshot();
  assert.equal(snap.garbageFrames, 3, 'binary, truncated JSON, a JSON array (plain words are skipped unparsed)');
  assert.equal(s.seen.garbage?.length, 1, 'reported once per connection');
  // The odd-shaped heartbeat counted as a heartbeat without interval; the odd notice as a kick.
  assert.equal(snap.account, 'offline');
  assert.equal(snap.connections, 1);
});

test('a frame over maxPayload closes that link (1009) only; NapCat reconnects and is served', async (t) => {
  const s = await setup(t, { maxPayload: 4096 });
  const fake = s.napcat();
  await fake.waitForOpen(true);
  const closed = waitFor<{ code: number }>(fake, 'close');
  const back = fake.waitForOpen();
  fake.sendRaw('x'.repeat(10_000));
  assert.equal((await closed).code, 1009);
  await back;
  const ready = waitFor(s.backend, 'ready');
  fake.heartbeat();
  await ready;
});

test('connections are bounded: one more than maxConnections is refused with 503', async (t) => {
  const s = await setup(t, { maxConnections: 2 });
  await s.napcat().waitForOpen(true);
  await s.napcat({ selfId: 2 }).waitForOpen(true);
  const third = s.napcat({ selfId: 3, reconnectInterval: 60_000 });
  assert.equal((await waitFor<{ status?: number }>(third, 'connect-failed')).status, 503);
  assert.equal(s.seen.refused?.[0]?.status, 503);
  assert.equal(s.backend.snapshot().connections, 2);
});

test('plain HTTP gets 426; garbage bytes and a stalled handshake are cut off; the server lives on', async (t) => {
  const s = await setup(t, { handshakeTimeout: 300 });
  const port = s.backend.listeningOn()!.port;
  const status = await new Promise<number>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/?access_token=x' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
  assert.equal(status, 426);
  const garbage = connect(port, '127.0.0.1');
  garbage.on('error', () => {});
  garbage.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff, 0x00, 0x00, 0x0a, 0x0d, 0x0a, 0x0d, 0x0a]));
  await once(garbage, 'close');
  const stalled = connect(port, '127.0.0.1');
  stalled.on('error', () => {});
  stalled.write('GET /onebot HTTP/1.1\r\nHost: x\r\n'); // never finishes its headers
  await once(stalled, 'close');
  const fake = s.napcat();
  await fake.waitForOpen(true);
});

test('a port in use: listen-error (EADDRINUSE), retried until it is free', async (t) => {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const port = (holder.address() as { port: number }).port;
  const timers = new FakeClock(Date.UTC(2024, 4, 1));
  const backend = new ReverseRig(timers, { listen: { host: '127.0.0.1', port }, listenRetryMs: 5000 });
  t.after(() => backend.stop());
  const errors: Event[] = [];
  backend.on('listen-error', (e: Event) => errors.push(e));
  await backend.start();
  assert.equal(errors[0]?.code, 'EADDRINUSE');
  assert.equal(errors[0]?.retryInMs, 5000);
  assert.equal(backend.listeningOn(), undefined);
  await new Promise<void>((resolve) => holder.close(() => resolve()));
  const listening = waitFor(backend, 'listening');
  timers.advanceSync(5000);
  await listening;
  assert.equal(backend.listeningOn()?.port, port);
});

test('stop closes NapCat links with 1001 (NapCat will reconnect to whoever listens next)', async (t) => {
  const s = await setup(t);
  const fake = s.napcat({ reconnectInterval: 60_000 });
  await fake.waitForOpen(true);
  const closed = waitFor<{ code: number }>(fake, 'close');
  await s.backend.stop();
  assert.equal((await closed).code, 1001);
});

test('NapCat\'s link is reported as the onebot-reverse probe, healthy from its first heartbeat', async (t) => {
  const s = await setup(t);
  const fake = s.napcat();
  await fake.waitForOpen(true);
  const ready = waitFor(s.backend, 'ready');
  fake.heartbeat();
  await ready;
  assert.deepEqual(s.backend.handle.reports.map((r) => [r.probe, r.verdict]), [
    ['onebot-reverse', 'unknown'],
    ['onebot-reverse', 'healthy'],
  ]);
  assert.equal(s.backend.snapshot().linked, 1);
});
