// Raw-protocol checks of the fake mirai-api-http against shared/docs/protocols.md.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { FakeMirai, type FakeMiraiOptions } from '../helpers/fake-mirai.js';
import { WsClient } from '../helpers/ws-client.js';
import { waitUntil } from '../helpers/wait.js';

const KEY = 'test-key';
const QQ = 123456789;
const SESSION = /^[A-Za-z0-9]{8}$/;

async function setup(t: TestContext, opts: FakeMiraiOptions = {}) {
  const fake = await FakeMirai.start({ verifyKey: KEY, bots: [QQ], ...opts });
  const clients: WsClient[] = [];
  t.after(async () => {
    for (const c of clients) c.terminate();
    await fake.stop();
  });
  return {
    fake,
    ws: async (pathAndQuery: string, headers: Record<string, string> = {}) => {
      const client = await WsClient.open(fake.wsUrl + pathAndQuery, headers);
      clients.push(client);
      return client;
    },
    get: (path: string, headers: Record<string, string> = {}) => fetch(fake.url + path, { headers }),
    post: (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(fake.url + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
  };
}

async function json(res: Response | Promise<Response>): Promise<Record<string, unknown>> {
  const r = await res;
  assert.equal(r.status, 200);
  return (await r.json()) as Record<string, unknown>;
}

/** verify + bind over HTTP; returns the bound session key. */
async function boundSession(s: Awaited<ReturnType<typeof setup>>, qq = QQ): Promise<string> {
  const { session } = await json(s.post('/verify', { verifyKey: KEY }));
  assert.deepEqual(await json(s.post('/bind', { sessionKey: session, qq })), { code: 0, msg: 'success' });
  return session as string;
}

test('GET /about and /botList answer code 0 with status 200; unknown routes are 404', async (t) => {
  const s = await setup(t);
  const about = await s.get('/about');
  assert.equal(about.status, 200);
  assert.match(about.headers.get('content-type') ?? '', /^application\/json/);
  assert.equal(await about.text(), '{"code":0,"msg":"","data":{"version":"2.10.0"}}');
  assert.equal(await (await s.get('/botList')).text(), `{"code":0,"msg":"","data":[${QQ}]}`);
  s.fake.setBots([1, 2]);
  assert.deepEqual(await json(s.get('/botList')), { code: 0, msg: '', data: [1, 2] });
  assert.equal((await s.get('/nope')).status, 404);
  assert.equal((await s.get('/verify')).status, 404);
});

test('POST /verify: wrong key is code 1, a body that is not JSON is 400, else an 8-char session', async (t) => {
  const s = await setup(t);
  assert.equal(await (await s.post('/verify', { verifyKey: 'wrong' })).text(), '{"code":1,"msg":"Auth Key错误"}');
  assert.deepEqual(await json(s.post('/verify', 'not json')), { code: 400, msg: '无效参数' });
  const res = await json(s.post('/verify', { verifyKey: KEY }));
  assert.deepEqual(Object.keys(res), ['code', 'session']);
  assert.equal(res.code, 0);
  assert.match(String(res.session), SESSION);
  assert.equal(s.fake.sessions(), 1);
});

test('enableVerify false accepts any key over HTTP and WebSocket', async (t) => {
  const s = await setup(t, { enableVerify: false });
  assert.equal((await json(s.post('/verify', {}))).code, 0);
  const client = await s.ws(`/all?qq=${QQ}`);
  assert.equal((await client.next<{ data: { code: number } }>()).data.code, 0);
});

test('POST /bind: unknown session 3, unknown qq 2, then success', async (t) => {
  const s = await setup(t);
  const { session } = await json(s.post('/verify', { verifyKey: KEY }));
  assert.deepEqual(await json(s.post('/bind', { sessionKey: 'ABCDEFGH', qq: QQ })), {
    code: 3,
    msg: 'Session失效或不存在',
  });
  assert.deepEqual(await json(s.post('/bind', { sessionKey: session, qq: 42 })), { code: 2, msg: '指定Bot不存在' });
  assert.deepEqual(await json(s.post('/bind', { sessionKey: session, qq: QQ })), { code: 0, msg: 'success' });
});

test('GET /sessionInfo takes the key from the query, the sessionKey header or Authorization: session', async (t) => {
  const s = await setup(t);
  const key = await boundSession(s);
  const expected = { code: 0, msg: '', data: { sessionKey: key, qq: { id: QQ, nickname: '', remark: '' } } };
  assert.deepEqual(await json(s.get(`/sessionInfo?sessionKey=${key}`)), expected);
  assert.deepEqual(await json(s.get('/sessionInfo', { sessionKey: key })), expected);
  assert.deepEqual(await json(s.get('/sessionInfo', { Authorization: `session ${key}` })), expected);
  // a valid header wins over a stale query parameter
  assert.deepEqual(await json(s.get('/sessionInfo?sessionKey=ABCDEFGH', { sessionKey: key })), expected);
  assert.equal((await json(s.get('/sessionInfo'))).code, 3);
  const { session: unbound } = await json(s.post('/verify', { verifyKey: KEY }));
  assert.deepEqual(await json(s.get(`/sessionInfo?sessionKey=${unbound}`)), { code: 4, msg: 'Session未认证' });
});

test('POST /release removes the session; it needs a known bot (2), a live session (3), the bound qq (5)', async (t) => {
  const s = await setup(t, { bots: [QQ, 42] });
  const key = await boundSession(s);
  assert.equal((await json(s.post('/release', { sessionKey: key, qq: 7 }))).code, 2);
  assert.equal((await json(s.post('/release', { sessionKey: 'ABCDEFGH', qq: QQ }))).code, 3);
  assert.equal((await json(s.post('/release', { sessionKey: key, qq: 42 }))).code, 5);
  assert.equal(s.fake.sessions(), 1);
  assert.deepEqual(await json(s.post('/release', { sessionKey: key, qq: QQ })), { code: 0, msg: 'success' });
  assert.equal(s.fake.sessions(), 0);
  assert.equal((await json(s.get(`/sessionInfo?sessionKey=${key}`))).code, 3);
  const released = s.fake.requests.find((r) => r.path === '/release' && r.method === 'POST');
  assert.deepEqual(released?.body, { sessionKey: key, qq: 7 });
});

test('POST /sendFriendMessage answers a messageId for a bound session from the body or a header', async (t) => {
  const s = await setup(t);
  const key = await boundSession(s);
  const chain = [{ type: 'Plain', text: 'hi' }];
  const first = await json(s.post('/sendFriendMessage', { sessionKey: key, target: 1, messageChain: chain }));
  assert.deepEqual(first, { code: 0, msg: 'success', messageId: 1 });
  const second = await json(s.post('/sendFriendMessage', { target: 1, messageChain: chain }, { sessionKey: key }));
  assert.equal(second.messageId, 2);
  assert.equal((await json(s.post('/sendFriendMessage', { sessionKey: 'nope', target: 1 }))).code, 3);
});

test('a session that is never bound expires; a bound one stays', async (t) => {
  const s = await setup(t, { unboundSessionTtlMs: 1000 });
  const bound = await boundSession(s);
  const { session } = await json(s.post('/verify', { verifyKey: KEY }));
  const info = async (key: unknown) => (await json(s.get(`/sessionInfo?sessionKey=${String(key)}`))).code;
  assert.equal(await info(session), 4); // alive, not bound
  await waitUntil(async () => (await info(session)) === 3, 10_000, 50);
  assert.equal(await info(bound), 0);
  assert.equal(s.fake.sessions(), 1);
});

test('WebSocket with headers verifyKey and qq (YiriMirai): 101, first frame with a new session', async (t) => {
  const s = await setup(t);
  const connected = s.fake.waitForConnection();
  const client = await s.ws('/all', { verifyKey: KEY, qq: String(QQ) });
  const first = await client.nextText();
  assert.match(first, /^\{"syncId":"","data":\{"code":0,"session":"[A-Za-z0-9]{8}"\}\}$/);
  const key = (JSON.parse(first) as { data: { session: string } }).data.session;
  const conn = await connected;
  assert.equal(conn.path, '/all');
  assert.equal(conn.qq, QQ);
  assert.equal(conn.sessionKey, key);
  assert.equal(conn.remoteAddress, '127.0.0.1');
  assert.equal(conn.remotePort, client.localPort);
  assert.ok(conn.connectedAt instanceof Date);
  assert.deepEqual(s.fake.connections(), [conn]);
  assert.equal(s.fake.sessions(), 1);
});

test('WebSocket with query verifyKey and qq (mirai-ts) on each of /message, /event, /all', async (t) => {
  const s = await setup(t);
  for (const path of ['/message', '/event', '/all']) {
    const client = await s.ws(`${path}?verifyKey=${KEY}&qq=${QQ}`);
    assert.equal((await client.next<{ data: { code: number } }>()).data.code, 0);
  }
  assert.deepEqual(s.fake.connections().map((c) => c.path), ['/message', '/event', '/all']);
  assert.equal((await WsClient.upgradeStatus(`${s.fake.wsUrl}/other?verifyKey=${KEY}&qq=${QQ}`)), 404);
});

test('WebSocket with an existing bound session (mirai-js) reuses that session', async (t) => {
  const s = await setup(t);
  const key = await boundSession(s);
  const client = await s.ws(`/all?sessionKey=${key}&verifyKey=${KEY}`);
  assert.equal(await client.nextText(), `{"syncId":"","data":{"code":0,"session":"${key}"}}`);
  assert.equal(s.fake.connections()[0]?.qq, QQ);
  assert.equal(s.fake.sessions(), 1);
});

test('WebSocket checks run after the 101 in the documented order; failure is one frame then close 1000', async (t) => {
  const s = await setup(t);
  const key = await boundSession(s);
  const { session: unbound } = await json(s.post('/verify', { verifyKey: KEY }));
  const cases: Array<[string, Record<string, string>, number, string]> = [
    [`/all?verifyKey=wrong&qq=42`, {}, 1, 'Auth Key错误'],
    [`/all?qq=${QQ}`, {}, 1, 'Auth Key错误'],
    [`/all?verifyKey=${KEY}&qq=42`, {}, 2, '指定Bot不存在'],
    [`/all?verifyKey=${KEY}`, {}, 400, '无效参数'],
    [`/all?verifyKey=${KEY}&qq=notanumber`, {}, 400, '无效参数'],
    [`/all?verifyKey=${KEY}&qq=${QQ}&sessionKey=ABCDEFGH`, {}, 3, 'Session失效或不存在'],
    [`/all?verifyKey=${KEY}&sessionKey=${unbound}`, {}, 4, 'Session未认证'],
    // headers come first, then the query string
    [`/all?verifyKey=${KEY}&qq=${QQ}`, { verifyKey: 'wrong' }, 1, 'Auth Key错误'],
    [`/all?verifyKey=${KEY}&sessionKey=${key}`, { sessionKey: 'ABCDEFGH' }, 3, 'Session失效或不存在'],
  ];
  for (const [url, headers, code, msg] of cases) {
    const client = await s.ws(url, headers); // the upgrade completes whatever the parameters
    assert.equal(await client.nextText(), JSON.stringify({ syncId: '', data: { code, msg } }), url);
    assert.deepEqual(await client.closed, { code: 1000, reason: msg }, url);
  }
  assert.deepEqual(s.fake.connections(), []);
  assert.equal(s.fake.sessions(), 2);
  const ok = await s.ws(`/all?verifyKey=wrong&qq=42`, { verifyKey: KEY, qq: String(QQ) });
  assert.equal((await ok.next<{ data: { code: number } }>()).data.code, 0);
});

test('commands echo syncId as a string; unknown command is code 6; a non-JSON frame gets a bare 400', async (t) => {
  const s = await setup(t);
  const client = await s.ws('/all', { verifyKey: KEY, qq: String(QQ) });
  const { data } = await client.next<{ data: { session: string } }>();
  client.send({ syncId: '7', command: 'about', subCommand: null, content: {} });
  assert.equal(await client.nextText(), '{"syncId":"7","data":{"code":0,"msg":"","data":{"version":"2.10.0"}}}');
  client.send({ syncId: 8, command: 'about', subCommand: null, content: {} });
  assert.equal((await client.next()).syncId, '8');
  client.send({ syncId: '9', command: 'fly', subCommand: null, content: {} });
  assert.equal(await client.nextText(), '{"syncId":"9","data":{"code":6,"msg":"指定操作不支持"}}');
  client.send('this is not json');
  assert.equal(await client.nextText(), '{"code":400,"msg":"无效参数"}');
  client.send({ syncId: '10', command: 'sessionInfo', content: {} });
  assert.deepEqual(await client.next(), {
    syncId: '10',
    data: { code: 0, msg: '', data: { sessionKey: data.session, qq: { id: QQ, nickname: '', remark: '' } } },
  });
  client.send({ syncId: '11', command: 'sendFriendMessage', content: { target: 1, messageChain: [] } });
  assert.deepEqual(await client.next(), { syncId: '11', data: { code: 0, msg: 'success', messageId: 1 } });
});

test('pushEvent: events reach /event and /all, messages reach /message and /all, with syncId "-1"', async (t) => {
  const s = await setup(t, { bots: [QQ, 42] });
  const open = async (path: string, qq = QQ) => {
    const c = await s.ws(`${path}?verifyKey=${KEY}&qq=${qq}`);
    await c.next();
    return c;
  };
  const [message, event, all, otherBot] = [await open('/message'), await open('/event'), await open('/all'), await open('/all', 42)];
  const dropped = { type: 'BotOfflineEventDropped', qq: QQ };
  assert.equal(s.fake.pushEvent(dropped, QQ), 2);
  const friend = { type: 'FriendMessage', sender: { id: 1, nickname: 'a', remark: '' }, messageChain: [] };
  assert.equal(s.fake.pushEvent(friend), 3);
  assert.equal(await event.nextText(), '{"syncId":"-1","data":{"type":"BotOfflineEventDropped","qq":123456789}}');
  assert.deepEqual(await all.next(), { syncId: '-1', data: dropped });
  assert.deepEqual(await all.next(), { syncId: '-1', data: friend });
  assert.deepEqual(await message.next(), { syncId: '-1', data: friend }); // the event did not come first
  assert.deepEqual(await otherBot.next(), { syncId: '-1', data: friend });
  assert.equal(event.pending() + message.pending() + otherBot.pending(), 0);
});

test('closing the socket closes its session; disconnect reports the code', async (t) => {
  const s = await setup(t);
  const key = await boundSession(s);
  const client = await s.ws(`/all?sessionKey=${key}&verifyKey=${KEY}`);
  await client.next();
  const gone = s.fake.waitForDisconnect();
  client.ws.close(1000, 'bye');
  const d = await gone;
  assert.deepEqual([d.sessionKey, d.code, d.reason], [key, 1000, 'bye']);
  assert.equal(s.fake.sessions(), 0);
  assert.deepEqual(s.fake.connections(), []);
});

test('a socket whose session was released is closed on its next frame', async (t) => {
  const s = await setup(t);
  const key = await boundSession(s);
  const client = await s.ws(`/all?sessionKey=${key}&verifyKey=${KEY}`);
  await client.next();
  await json(s.post('/release', { sessionKey: key, qq: QQ }));
  client.send({ syncId: '1', command: 'about' });
  assert.equal((await client.closed).code, 1000);
});

test('the server answers pings and never pings', async (t) => {
  const s = await setup(t);
  const client = await s.ws('/all', { verifyKey: KEY, qq: String(QQ) });
  await client.next();
  await client.ping('hello');
  client.send({ syncId: '1', command: 'about' });
  await client.next();
  assert.equal(client.pingsReceived, 0);
});

test('dropConnection kills only the matching sockets, without a close frame (1006)', async (t) => {
  const s = await setup(t, { bots: [1, 2] });
  const one = await s.ws('/all', { verifyKey: KEY, qq: '1' });
  const two = await s.ws('/all', { verifyKey: KEY, qq: '2' });
  await Promise.all([one.next(), two.next()]);
  const gone = s.fake.waitForDisconnect();
  assert.equal(s.fake.dropConnection((c) => c.qq === 1), 1);
  assert.equal((await one.closed).code, 1006);
  assert.equal((await gone).qq, 1);
  two.send({ syncId: '1', command: 'about' });
  assert.equal((await two.next()).syncId, '1');
  assert.deepEqual(s.fake.connections().map((c) => c.qq), [2]);
});

test('fault refuse: sockets die, connects are refused on the same port until healed', async (t) => {
  const s = await setup(t);
  const client = await s.ws('/all', { verifyKey: KEY, qq: String(QQ) });
  await client.next();
  const port = s.fake.port;
  await s.fake.fault('refuse');
  assert.equal((await client.closed).code, 1006);
  await assert.rejects(s.get('/about'), (err: Error) => (err.cause as { code?: string }).code === 'ECONNREFUSED');
  await assert.rejects(WsClient.open(`${s.fake.wsUrl}/all`), { code: 'ECONNREFUSED' });
  assert.equal(s.fake.sessions(), 0);
  await s.fake.fault(null);
  assert.equal(s.fake.port, port);
  assert.equal((await json(s.get('/about'))).code, 0);
});

test('fault drop: every socket is destroyed (1006) while the port keeps accepting TCP', async (t) => {
  const s = await setup(t);
  const client = await s.ws('/all', { verifyKey: KEY, qq: String(QQ) });
  await client.next();
  await s.fake.fault('drop');
  assert.equal((await client.closed).code, 1006);
  await assert.rejects(s.get('/about'));
  const tcp = net.connect(s.fake.port, '127.0.0.1');
  await new Promise((resolve) => tcp.once('connect', resolve)); // accepted, not refused
  await new Promise((resolve) => tcp.once('close', resolve)); // then destroyed
  await s.fake.clearFaults();
  assert.equal((await json(s.get('/about'))).code, 0);
});

test('fault freeze: no HTTP answer, no frame, no pong; everything is answered once healed', async (t) => {
  const s = await setup(t);
  const client = await s.ws('/all', { verifyKey: KEY, qq: String(QQ) });
  await client.next();
  await s.fake.fault('freeze');
  const parked = fetch(`${s.fake.url}/botList`);
  await assert.rejects(fetch(`${s.fake.url}/about`, { signal: AbortSignal.timeout(300) }), { name: 'TimeoutError' });
  let ponged = false;
  const pong = client.ping().then(() => (ponged = true));
  s.fake.pushEvent({ type: 'BotOnlineEvent', qq: QQ });
  await assert.rejects(client.nextText(300), /no frame within/);
  assert.equal(ponged, false);
  await s.fake.fault(null);
  await pong;
  assert.deepEqual(await client.next(), { syncId: '-1', data: { type: 'BotOnlineEvent', qq: QQ } });
  assert.equal((await json(parked)).code, 0);
});

test('fault garbage: HTTP answers non-JSON bytes with 200, frames are not JSON', async (t) => {
  const s = await setup(t);
  const client = await s.ws('/all', { verifyKey: KEY, qq: String(QQ) });
  await client.next();
  await s.fake.fault('garbage');
  const res = await s.get('/about');
  assert.equal(res.status, 200);
  const bytes = Buffer.from(await res.arrayBuffer());
  assert.ok(bytes.length > 0);
  assert.throws(() => JSON.parse(bytes.toString('utf8')));
  client.send({ syncId: '1', command: 'about' });
  const frame = await client.nextText();
  assert.throws(() => JSON.parse(frame));
  await s.fake.fault(null);
  client.send({ syncId: '2', command: 'about' });
  assert.equal((await client.next()).syncId, '2');
});

test('fault wrongCode: HTTP and commands answer the code; the WebSocket handshake fails with it', async (t) => {
  const s = await setup(t);
  const client = await s.ws('/all', { verifyKey: KEY, qq: String(QQ) });
  await client.next();
  await s.fake.fault({ kind: 'wrongCode', code: 500, msg: 'boom' });
  assert.equal(await (await s.get('/about')).text(), '{"code":500,"msg":"boom"}');
  client.send({ syncId: '3', command: 'about' });
  assert.deepEqual(await client.next(), { syncId: '3', data: { code: 500, msg: 'boom' } });
  const refused = await s.ws('/all', { verifyKey: KEY, qq: String(QQ) });
  assert.deepEqual(await refused.next(), { syncId: '', data: { code: 500, msg: 'boom' } });
  assert.deepEqual(await refused.closed, { code: 1000, reason: 'boom' });
  await s.fake.fault('wrongCode');
  assert.equal((await json(s.get('/about'))).code, 500);
});

test('fault slow: answers and pongs come after the delay', async (t) => {
  const s = await setup(t);
  const client = await s.ws('/all', { verifyKey: KEY, qq: String(QQ) });
  await client.next();
  await s.fake.fault({ kind: 'slow', ms: 200 });
  let started = Date.now();
  assert.equal((await json(s.get('/about'))).code, 0);
  assert.ok(Date.now() - started >= 190, `answered after ${Date.now() - started} ms`);
  started = Date.now();
  await client.ping();
  assert.ok(Date.now() - started >= 190, `pong after ${Date.now() - started} ms`);
});

test('stop refuses connects; restart listens on the same port with fresh sessions', async (t) => {
  const s = await setup(t);
  const key = await boundSession(s);
  const client = await s.ws(`/all?sessionKey=${key}&verifyKey=${KEY}`);
  await client.next();
  const port = s.fake.port;
  const gone = s.fake.waitForDisconnect();
  await s.fake.stop();
  assert.equal((await gone).code, 1006);
  assert.equal((await client.closed).code, 1006);
  await assert.rejects(s.get('/about'), (err: Error) => (err.cause as { code?: string }).code === 'ECONNREFUSED');
  await s.fake.restart();
  assert.equal(s.fake.port, port);
  assert.equal(s.fake.sessions(), 0);
  assert.equal((await json(s.get(`/sessionInfo?sessionKey=${key}`))).code, 3);
  const again = await s.ws('/all', { verifyKey: KEY, qq: String(QQ) });
  assert.equal((await again.next<{ data: { code: number } }>()).data.code, 0);
});

test('the request log records HTTP requests and upgrades as they arrive', async (t) => {
  const s = await setup(t);
  const seen = s.fake.requests.length;
  await s.get('/about');
  const client = await s.ws(`/event?verifyKey=${KEY}&qq=${QQ}`, { 'X-Probe': 'yes' });
  await client.next();
  const [about, upgrade] = s.fake.requests.slice(seen);
  assert.deepEqual([about?.method, about?.path, about?.upgrade], ['GET', '/about', false]);
  assert.deepEqual([upgrade?.path, upgrade?.upgrade, upgrade?.headers['x-probe']], ['/event', true, 'yes']);
  assert.deepEqual(upgrade?.query, { verifyKey: KEY, qq: String(QQ) });
});
