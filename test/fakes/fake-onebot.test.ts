// Raw-protocol checks of the fake OneBot v11 (go-cqhttp-like) against shared/docs/protocols.md.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { FakeOneBot, type FakeOneBotOptions } from '../helpers/fake-onebot.js';
import { WsClient } from '../helpers/ws-client.js';

const TOKEN = 'secret';
const AUTH = { Authorization: `Bearer ${TOKEN}` };

interface Frame {
  post_type?: string;
  meta_event_type?: string;
  status?: { online: boolean; good: boolean };
  interval?: number;
  [field: string]: unknown;
}

async function setup(t: TestContext, opts: FakeOneBotOptions = {}) {
  const fake = await FakeOneBot.start({ accessToken: TOKEN, heartbeatInterval: 50, ...opts });
  const clients: WsClient[] = [];
  t.after(async () => {
    for (const c of clients) c.terminate();
    await fake.stop();
  });
  return {
    fake,
    ws: async (path: string, headers: Record<string, string> = AUTH) => {
      const client = await WsClient.open(fake.wsUrl + path, headers);
      clients.push(client);
      return client;
    },
    get: (path: string, headers: Record<string, string> = AUTH) => fetch(fake.url + path, { headers }),
  };
}

async function body(res: Response | Promise<Response>): Promise<Record<string, unknown>> {
  const r = await res;
  assert.equal(r.status, 200);
  return (await r.json()) as Record<string, unknown>;
}

/** The next frame that is not a heartbeat. */
async function nextNonHeartbeat(client: WsClient): Promise<Frame> {
  for (;;) {
    const frame = await client.next<Frame>();
    if (frame.meta_event_type !== 'heartbeat') return frame;
  }
}

test('HTTP GET and POST /:action answer the ok envelope; unknown actions are 404', async (t) => {
  const s = await setup(t);
  const status = await s.get('/get_status');
  assert.match(await status.clone().text(), /^\{"status":"ok","retcode":0,"data":\{/);
  assert.deepEqual((await body(status)).data, {
    app_initialized: true,
    app_enabled: true,
    plugins_good: null,
    app_good: true,
    online: true,
    good: true,
  });
  const post = await fetch(`${s.fake.url}/get_login_info`, {
    method: 'POST',
    headers: { ...AUTH, 'content-type': 'application/json' },
    body: '{}',
  });
  assert.deepEqual(await body(post), { status: 'ok', retcode: 0, data: { user_id: 10001, nickname: 'fake-bot' } });
  const version = (await body(s.get('/get_version_info'))).data as Record<string, unknown>;
  assert.equal(version.protocol_version, 'v11');
  assert.equal(typeof version.app_name, 'string');
  const form = await fetch(`${s.fake.url}/send_private_msg`, {
    method: 'POST',
    headers: { ...AUTH, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'user_id=1&message=hi',
  });
  assert.deepEqual((await body(form)).data, { message_id: 1 });
  assert.equal((await s.get('/no_such_action')).status, 404);
});

test('HTTP token: 401 when missing, 403 when wrong; Bearer header or access_token query', async (t) => {
  const s = await setup(t);
  assert.equal((await s.get('/get_status', {})).status, 401);
  assert.equal((await s.get('/get_status', { Authorization: 'Bearer nope' })).status, 403);
  assert.equal((await s.get('/get_status?access_token=nope', {})).status, 403);
  assert.equal((await s.get(`/get_status?access_token=${TOKEN}`, {})).status, 200);
  assert.equal((await s.get('/get_status')).status, 200);
  assert.equal((await s.get('/no_such_action', {})).status, 401); // the token is checked first
});

test('without an access token configured, anything goes', async (t) => {
  const s = await setup(t, { accessToken: undefined });
  assert.equal((await s.get('/get_status', {})).status, 200);
  const client = await s.ws('/', {});
  assert.equal((await client.next<Frame>()).meta_event_type, 'lifecycle');
});

test('WebSocket token: refused with 401/403 before the upgrade; unknown path 404', async (t) => {
  const s = await setup(t);
  for (const path of ['/', '/api', '/event']) {
    assert.equal(await WsClient.upgradeStatus(s.fake.wsUrl + path), 401, path);
    assert.equal(await WsClient.upgradeStatus(`${s.fake.wsUrl}${path}?access_token=nope`), 403, path);
    assert.equal(await WsClient.upgradeStatus(s.fake.wsUrl + path, { Authorization: 'Bearer nope' }), 403, path);
  }
  assert.equal(await WsClient.upgradeStatus(`${s.fake.wsUrl}/other`, AUTH), 404);
  assert.deepEqual(s.fake.connections(), []);
  const byQuery = await s.ws(`/?access_token=${TOKEN}`, {});
  assert.equal((await byQuery.next<Frame>()).meta_event_type, 'lifecycle');
});

test('/ and /event: first frame is the lifecycle meta event, then heartbeats every interval', async (t) => {
  const s = await setup(t);
  for (const path of ['/', '/event']) {
    const client = await s.ws(path);
    const lifecycle = await client.nextText();
    assert.match(
      lifecycle,
      /^\{"post_type":"meta_event","meta_event_type":"lifecycle","sub_type":"connect","self_id":10001,"time":\d+\}$/,
    );
    const beat = await client.next<Frame>();
    assert.deepEqual(Object.keys(beat), ['post_type', 'meta_event_type', 'self_id', 'time', 'status', 'interval']);
    assert.equal(beat.meta_event_type, 'heartbeat');
    assert.equal(beat.interval, 50);
    assert.deepEqual([beat.status?.online, beat.status?.good], [true, true]);
    assert.equal((await client.next<Frame>()).meta_event_type, 'heartbeat');
  }
  assert.deepEqual(s.fake.connections().map((c) => c.path), ['/', '/event']);
});

test('/api and /: a call is answered with the body plus echo; unknown action 1404; non-JSON 1400', async (t) => {
  const s = await setup(t);
  const api = await s.ws('/api');
  api.send({ action: 'get_status', params: {}, echo: '1' });
  const answer = await api.nextText(); // /api sends no lifecycle and no heartbeat
  assert.match(answer, /^\{"status":"ok","retcode":0,"data":\{.*\},"echo":"1"\}$/);
  api.send({ action: 'get_login_info', params: {}, echo: { n: 2 } });
  assert.deepEqual(await api.next(), { status: 'ok', retcode: 0, data: { user_id: 10001, nickname: 'fake-bot' }, echo: { n: 2 } });
  api.send({ action: 'teleport', params: {}, echo: '3' });
  assert.deepEqual(await api.next(), {
    status: 'failed',
    retcode: 1404,
    data: null,
    msg: 'API_NOT_FOUND',
    wording: 'API不存在',
    echo: '3',
  });
  api.send('not json');
  assert.equal((await api.next()).retcode, 1400);
  const universal = await s.ws('/');
  await universal.next(); // lifecycle
  universal.send({ action: 'get_version_info', params: {}, echo: 'v' });
  const version = await nextNonHeartbeat(universal);
  assert.equal(version.echo, 'v');
  assert.equal((version.data as Record<string, unknown>).protocol_version, 'v11');
});

test('setOnline / setGood show in get_status and in the next heartbeats', async (t) => {
  const s = await setup(t);
  const client = await s.ws('/event');
  await client.next(); // lifecycle
  s.fake.setOnline(false);
  s.fake.setGood(false);
  const { data } = await body(s.get('/get_status'));
  assert.deepEqual([(data as Frame['status'])?.online, (data as Frame['status'])?.good], [false, false]);
  // a heartbeat already on its way may still say true: wait for one that says false
  for (;;) {
    const beat = await client.next<Frame>();
    if (beat.status?.online === false) {
      assert.equal(beat.status.good, false);
      break;
    }
  }
  s.fake.setOnline(true);
  assert.equal(((await body(s.get('/get_status'))).data as Frame['status'])?.online, true);
});

test('stopHeartbeats silences heartbeats on open sockets until resumeHeartbeats', async (t) => {
  const s = await setup(t);
  const client = await s.ws('/');
  await client.next(); // lifecycle
  await client.next(); // a heartbeat
  s.fake.stopHeartbeats();
  client.send({ action: 'get_status', echo: 'drain' });
  assert.equal((await nextNonHeartbeat(client)).echo, 'drain'); // beats sent earlier are read by now
  await assert.rejects(client.nextText(300), /no frame within/); // 6 intervals of silence
  s.fake.resumeHeartbeats();
  assert.equal((await client.next<Frame>()).meta_event_type, 'heartbeat');
});

test('pushEvent reaches / and /event, not /api', async (t) => {
  const s = await setup(t, { heartbeatInterval: 60_000 });
  const universal = await s.ws('/');
  const event = await s.ws('/event');
  const api = await s.ws('/api');
  await Promise.all([universal.next(), event.next()]);
  const message = { post_type: 'message', message_type: 'private', user_id: 1, message: 'hi', raw_message: 'hi' };
  assert.equal(s.fake.pushEvent(message), 2);
  assert.deepEqual(await universal.next(), { time: (await event.next()).time, self_id: 10001, ...message });
  api.send({ action: 'get_status', echo: 'x' });
  assert.equal((await api.next()).echo, 'x'); // the pushed event did not come first
});

test('dropConnection and fault drop close sockets without a close frame (1006)', async (t) => {
  const s = await setup(t);
  const a = await s.ws('/api');
  const b = await s.ws('/event');
  const gone = s.fake.waitForDisconnect();
  assert.equal(s.fake.dropConnection((c) => c.path === '/api'), 1);
  assert.equal((await a.closed).code, 1006);
  assert.equal((await gone).path, '/api');
  await s.fake.fault('drop');
  assert.equal((await b.closed).code, 1006);
  await assert.rejects(s.get('/get_status'));
  await s.fake.fault(null);
  assert.equal((await s.get('/get_status')).status, 200);
});

test('fault refuse: ECONNREFUSED on the same port until healed; restart keeps the port', async (t) => {
  const s = await setup(t);
  const client = await s.ws('/');
  await client.next();
  const port = s.fake.port;
  await s.fake.fault('refuse');
  assert.equal((await client.closed).code, 1006);
  await assert.rejects(s.get('/get_status'), (err: Error) => (err.cause as { code?: string }).code === 'ECONNREFUSED');
  await s.fake.clearFaults();
  assert.equal(s.fake.port, port);
  assert.equal((await s.get('/get_status')).status, 200);
  await s.fake.stop();
  await assert.rejects(s.get('/get_status'));
  await s.fake.restart();
  assert.equal(s.fake.port, port);
  assert.equal((await s.get('/get_status')).status, 200);
});

test('fault freeze: no answer, no heartbeat, no pong; answers resume when healed', async (t) => {
  const s = await setup(t);
  const client = await s.ws('/');
  await client.next(); // lifecycle
  await s.fake.fault('freeze');
  await assert.rejects(fetch(`${s.fake.url}/get_status`, { headers: AUTH, signal: AbortSignal.timeout(300) }), {
    name: 'TimeoutError',
  });
  while (client.pending() > 0) await client.next(); // heartbeats sent before the freeze
  let ponged = false;
  const pong = client.ping().then(() => (ponged = true));
  client.send({ action: 'get_status', echo: 'frozen' });
  await assert.rejects(client.nextText(300), /no frame within/);
  assert.equal(ponged, false);
  await s.fake.fault(null);
  await pong;
  assert.equal((await nextNonHeartbeat(client)).echo, 'frozen');
  assert.equal((await client.next<Frame>()).meta_event_type, 'heartbeat');
});

test('fault garbage, wrongCode and slow', async (t) => {
  const s = await setup(t, { heartbeatInterval: 60_000 });
  const api = await s.ws('/api');

  await s.fake.fault('garbage');
  const res = await s.get('/get_status');
  assert.equal(res.status, 200);
  const text = await res.text();
  assert.throws(() => JSON.parse(text));
  api.send({ action: 'get_status', echo: 'g' });
  const frame = await api.nextText();
  assert.throws(() => JSON.parse(frame));

  await s.fake.fault({ kind: 'wrongCode', code: 102, msg: 'nope' });
  assert.deepEqual(await body(s.get('/get_status')), {
    status: 'failed',
    retcode: 102,
    data: null,
    msg: 'nope',
    wording: 'nope',
  });
  api.send({ action: 'get_status', echo: 'w' });
  assert.deepEqual(await api.next(), { status: 'failed', retcode: 102, data: null, msg: 'nope', wording: 'nope', echo: 'w' });

  await s.fake.fault({ kind: 'slow', ms: 200 });
  const started = Date.now();
  assert.equal((await body(s.get('/get_status'))).retcode, 0);
  assert.ok(Date.now() - started >= 190, `answered after ${Date.now() - started} ms`);
});
