// The fakes, driven by client libraries nobody here wrote: if these libraries can link, receive
// a pushed event and send a message, the fakes speak the protocol the way real bots expect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import miraiJs from 'mirai-js';
// mirai-ts 2.4.8's exports map sends `import` to dist/index.mjs, a file it does not ship.
import { Mirai } from '../../node_modules/mirai-ts/dist/index.js';
import { NCWebsocket, type AllHandlers, type EventHandleMap, type EventKey } from 'node-napcat-ts';
import { FakeMirai } from '../helpers/fake-mirai.js';
import { FakeOneBot } from '../helpers/fake-onebot.js';

const KEY = 'real-client-key';
const QQ = 123456789;
const FRIEND = 987654;

/** The next napcat event of that kind. */
function nextEvent<K extends EventKey>(nc: NCWebsocket, event: K): Promise<AllHandlers[K]> {
  return new Promise((resolve) => nc.subscribeOnce(event, ((context: AllHandlers[K]) => resolve(context)) as EventHandleMap[K]));
}

function friendMessage(text: string) {
  return {
    type: 'FriendMessage',
    sender: { id: FRIEND, nickname: 'friend', remark: '' },
    messageChain: [
      { type: 'Source', id: 4242, time: 1700000000 },
      { type: 'Plain', text },
    ],
  };
}

test('mirai-js: Bot.open verifies, binds, links /all with its session; gets events; sends; closes', async (t) => {
  const fake = await FakeMirai.start({ verifyKey: KEY, bots: [QQ] });
  t.after(() => fake.stop());
  const bot = new miraiJs.Bot();
  const connected = fake.waitForConnection();
  await bot.open({ baseUrl: fake.url, verifyKey: KEY, qq: QQ });
  const conn = await connected;
  const received = new Promise<{ messageChain: Array<{ type: string; text?: string }> }>((resolve) =>
    bot.on('FriendMessage', resolve),
  );
  const sessionKey = bot.getSessionKey();
  assert.deepEqual([conn.path, conn.qq, conn.sessionKey], ['/all', QQ, sessionKey]);
  const [verify, bind, upgrade] = fake.requests;
  assert.deepEqual([verify?.method, verify?.path, verify?.body], ['POST', '/verify', { verifyKey: KEY }]);
  assert.deepEqual([bind?.path, bind?.body], ['/bind', { sessionKey, qq: QQ }]);
  assert.deepEqual([upgrade?.path, upgrade?.query], ['/all', { sessionKey, verifyKey: KEY }]);
  assert.equal(fake.sessions(), 1); // the WebSocket reuses the HTTP session

  assert.equal(fake.pushEvent(friendMessage('ping')), 1);
  const message = await received;
  assert.equal(message.messageChain[1]?.text, 'ping');
  assert.equal(await bot.sendMessage({ friend: FRIEND, message: new miraiJs.Message().addText('pong') }), 1);
  const sent = fake.requests.find((r) => r.path === '/sendFriendMessage');
  assert.deepEqual(sent?.body, {
    sessionKey,
    target: FRIEND,
    messageChain: [{ type: 'Plain', text: 'pong' }],
  });

  const gone = fake.waitForDisconnect();
  const clientClosed = new Promise<{ code: number }>((resolve) => bot.on('close', resolve));
  // close() closes the socket (which ends the session on the server) and then calls /release
  // without waiting for the close: /release may find the session gone, as with the real server.
  await bot.close({ keepProcessor: true }).catch((err: Error) => assert.match(err.message, /Session失效或不存在/));
  assert.equal((await gone).code, 1000);
  assert.equal((await clientClosed).code, 1000);
  assert.equal(fake.sessions(), 0);
  assert.ok(fake.requests.some((r) => r.path === '/release'));
});

test('mirai-ts: link() verifies and binds, listen() opens /all?verifyKey&qq with its own session', async (t) => {
  const fake = await FakeMirai.start({ verifyKey: KEY, bots: [QQ] });
  t.after(() => fake.stop());
  const mirai = new Mirai(
    {
      verifyKey: KEY,
      adapters: ['http', 'ws'],
      adapterSettings: { http: { host: '127.0.0.1', port: fake.port }, ws: { host: '127.0.0.1', port: fake.port } },
    },
    { ws: { heartbeatInterval: 50 } },
  );
  mirai.logger.level = -999; // silent
  mirai.api.logger.level = -999;

  assert.deepEqual(await mirai.link(QQ), { code: 0, msg: 'success' });
  const httpSession = mirai.api.sessionKey;
  const connected = fake.waitForConnection();
  mirai.listen();
  const conn = await connected;
  const upgrade = fake.requests.find((r) => r.upgrade);
  assert.deepEqual([upgrade?.path, upgrade?.query], ['/all', { verifyKey: KEY, qq: String(QQ) }]);
  assert.equal(conn.qq, QQ);
  assert.notEqual(conn.sessionKey, httpSession);
  assert.equal(fake.sessions(), 2);
  const ws = mirai.api.ws.client;
  assert.ok(ws);
  await new Promise((resolve) => ws.once('pong', resolve)); // its 50 ms pings are answered

  const received = new Promise<{ plain?: string; reply: (text: string) => Promise<unknown> }>((resolve) =>
    mirai.on('FriendMessage', resolve),
  );
  fake.pushEvent(friendMessage('ping'));
  const message = await received;
  assert.equal(ws.readyState, ws.OPEN);
  assert.equal(mirai.api.ws.sessionKey, conn.sessionKey); // it read the first frame's session
  assert.equal(message.plain, 'ping');
  assert.deepEqual(await message.reply('pong'), { code: 0, msg: 'success', messageId: 1 });
  const sent = fake.requests.find((r) => r.path === '/sendFriendMessage');
  assert.equal(sent?.headers['sessionkey'], httpSession); // mirai-ts sends a sessionKey header too
  assert.deepEqual(sent?.body, { sessionKey: httpSession, target: FRIEND, messageChain: [{ type: 'Plain', text: 'pong' }] });

  const gone = fake.waitForDisconnect();
  ws.close();
  await gone;
  assert.deepEqual(await mirai.release(), { code: 0, msg: 'success' });
  assert.equal(fake.sessions(), 0);
});

test('node-napcat-ts (OneBot v11 forward WebSocket): lifecycle, heartbeat, events, API calls', async (t) => {
  const fake = await FakeOneBot.start({ accessToken: 'tok', heartbeatInterval: 50, selfId: 10001 });
  t.after(() => fake.stop());
  const nc = new NCWebsocket({ baseUrl: fake.wsUrl, accessToken: 'tok', reconnection: { enable: false } }, false);
  t.after(() => nc.disconnect());
  const lifecycle = nextEvent(nc, 'meta_event.lifecycle.connect');
  const heartbeat = nextEvent(nc, 'meta_event.heartbeat');

  await nc.connect();
  assert.equal((await lifecycle).self_id, 10001);
  assert.equal((await heartbeat).status.online, true);
  assert.deepEqual(fake.connections().map((c) => c.path), ['/']);
  assert.deepEqual(fake.requests.find((r) => r.upgrade)?.query, { access_token: 'tok' });

  const status = await nc.get_status();
  assert.deepEqual([status.online, status.good], [true, true]);
  assert.equal((await nc.get_login_info()).user_id, 10001);
  assert.deepEqual(await nc.send_private_msg({ user_id: 42, message: [{ type: 'text', data: { text: 'hi' } }] }), {
    message_id: 1,
  });

  const privateMessage = nextEvent(nc, 'message.private.friend');
  fake.pushEvent({
    post_type: 'message',
    message_type: 'private',
    sub_type: 'friend',
    message_id: 7,
    user_id: 42,
    message: [{ type: 'text', data: { text: 'hello' } }],
    message_format: 'array',
    raw_message: 'hello',
    font: 0,
    sender: { user_id: 42, nickname: 'friend', sex: 'unknown', age: 0 },
  });
  assert.equal((await privateMessage).raw_message, 'hello');

  const gone = fake.waitForDisconnect();
  await nc.disconnect();
  assert.equal((await gone).code, 1000);
});

test('node-napcat-ts with a wrong token: the fake refuses the upgrade with 403', async (t) => {
  const fake = await FakeOneBot.start({ accessToken: 'tok' });
  t.after(() => fake.stop());
  const nc = new NCWebsocket({ baseUrl: fake.wsUrl, accessToken: 'wrong', reconnection: { enable: false } }, false);
  t.after(() => nc.disconnect());
  const failed = nextEvent(nc, 'socket.error');
  void nc.connect(); // never settles when the socket does not open and reconnection is off
  const error = await failed;
  assert.equal(error.error_type, 'connect_error');
  const [cause] = error.error_type === 'connect_error' ? error.errors : [];
  assert.match(String((cause as { message?: string } | null | undefined)?.message), /Unexpected server response: 403/);
  assert.deepEqual(fake.connections(), []);
});
