// The fake NapCat against shared/docs/protocols.md ("Reverse WebSocket") on a bare ws server, and
// against a real reverse-WebSocket bot framework from npm: Koishi with koishi-plugin-adapter-onebot
// in ws-reverse mode answers a message through it.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { WebSocketServer, type WebSocket } from 'ws';
import { FakeNapCat, type FakeNapCatOptions } from '../helpers/fake-napcat.js';
import { waitFor } from '../helpers/wait.js';

const SELF = 10001;
const TOKEN = 'napcat-token';

type Frame = Record<string, unknown> & { post_type?: string; meta_event_type?: string };

/** A bare reverse-WebSocket server that records handshakes and frames. */
async function server(t: TestContext, verify?: (req: IncomingMessage) => number | undefined) {
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    verifyClient: verify ? (info, done) => {
      const status = verify(info.req);
      done(status === undefined, status);
    } : undefined,
  });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const links: { ws: WebSocket; req: IncomingMessage; frames: Frame[]; next(pred?: (f: Frame) => boolean): Promise<Frame> }[] = [];
  const linked = new EventTarget();
  wss.on('connection', (ws, req) => {
    const frames: Frame[] = [];
    const waiters: { pred: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Frame;
      frames.push(frame);
      for (const w of [...waiters]) {
        if (w.pred(frame)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(frame);
        }
      }
    });
    links.push({
      ws,
      req,
      frames,
      next: (pred = () => true) => new Promise((resolve) => waiters.push({ pred, resolve })),
    });
    linked.dispatchEvent(new Event('link'));
  });
  t.after(() => new Promise<void>((resolve) => {
    for (const c of wss.clients) c.terminate();
    wss.close(() => resolve());
  }));
  const port = (wss.address() as AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${port}/ws`,
    links,
    /** The n-th link (1-based), once it exists. */
    link: (n: number) =>
      new Promise<(typeof links)[number]>((resolve) => {
        const check = () => {
          if (links[n - 1]) {
            linked.removeEventListener('link', check);
            resolve(links[n - 1]!);
          }
        };
        linked.addEventListener('link', check);
        check();
      }),
  };
}

function napcat(t: TestContext, options: FakeNapCatOptions): FakeNapCat {
  const fake = FakeNapCat.start(options);
  t.after(() => fake.stop());
  return fake;
}

const isHeartbeat = (f: Frame) => f.meta_event_type === 'heartbeat';

test('handshake: NapCat headers, then the lifecycle event first, then heartbeats with status and interval', async (t) => {
  const s = await server(t);
  napcat(t, { url: s.url, selfId: SELF, accessToken: TOKEN, heartbeatInterval: 30 });
  const link = await s.link(1);
  const first = await link.next();
  assert.equal(link.req.headers['x-self-id'], String(SELF));
  assert.equal(link.req.headers['x-client-role'], 'Universal');
  assert.equal(link.req.headers['authorization'], `Bearer ${TOKEN}`);
  assert.equal(link.req.headers['user-agent'], 'OneBot/11');
  assert.equal(link.req.url, '/ws', 'NapCat puts no token in the URL');
  assert.deepEqual({ ...first, time: 0 }, { time: 0, self_id: SELF, post_type: 'meta_event', meta_event_type: 'lifecycle', sub_type: 'connect' });
  const beat = await link.next(isHeartbeat);
  assert.deepEqual({ ...beat, time: 0 }, { time: 0, self_id: SELF, post_type: 'meta_event', meta_event_type: 'heartbeat', status: { online: true, good: true }, interval: 30 });
  assert.equal(typeof first['time'], 'number');
});

test('without a token NapCat still sends "Bearer " (a bare "Bearer" once HTTP trims it); tokenIn query puts it in access_token', async (t) => {
  const s = await server(t);
  napcat(t, { url: s.url, heartbeatInterval: 0 });
  assert.equal((await s.link(1)).req.headers['authorization'], 'Bearer');
  napcat(t, { url: s.url, accessToken: TOKEN, tokenIn: 'query', heartbeatInterval: 0 });
  const second = await s.link(2);
  assert.equal(second.req.url, `/ws?access_token=${TOKEN}`);
  assert.equal(second.req.headers['authorization'], undefined);
});

test('actions are answered by echo: known ones ok, unknown 1404, unparsable 1400', async (t) => {
  const s = await server(t);
  const fake = napcat(t, { url: s.url, selfId: SELF, heartbeatInterval: 0, nickname: 'bot' });
  const link = await s.link(1);
  await link.next(); // lifecycle
  const ask = async (frame: string, echo: unknown) => {
    const answer = link.next((f) => 'retcode' in f && JSON.stringify(f['echo']) === JSON.stringify(echo));
    link.ws.send(frame);
    return answer;
  };
  assert.deepEqual(await ask('{"action":"get_login_info","params":{},"echo":"a1"}', 'a1'), {
    status: 'ok', retcode: 0, data: { user_id: SELF, nickname: 'bot' }, message: '', wording: '', echo: 'a1',
  });
  const sent = await ask('{"action":"send_private_msg","params":{"user_id":42,"message":"hi"},"echo":7}', 7);
  assert.equal(sent['status'], 'ok');
  assert.equal(typeof (sent['data'] as { message_id: unknown }).message_id, 'number');
  assert.deepEqual(fake.actions.at(-1), { action: 'send_private_msg', params: { user_id: 42, message: 'hi' }, echo: 7 });
  const unknown = await ask('{"action":"no_such_api","echo":{"n":1}}', { n: 1 });
  assert.deepEqual([unknown['status'], unknown['retcode'], unknown['data']], ['failed', 1404, null]);
  const bad = await ask('{not json', null);
  assert.equal(bad['retcode'], 1400);
});

test('messages, the bot_offline notice, then heartbeats saying online=false; stopHeartbeats stops them', async (t) => {
  const s = await server(t);
  const fake = napcat(t, { url: s.url, selfId: SELF, heartbeatInterval: 20 });
  const link = await s.link(1);
  await fake.waitForOpen(true);
  const message = link.next((f) => f.post_type === 'message');
  const id = fake.privateMessage(42, 'ping');
  const m = await message;
  assert.deepEqual([m['message_type'], m['user_id'], m['message_id'], m['raw_message']], ['private', 42, id, 'ping']);
  assert.deepEqual(m['message'], [{ type: 'text', data: { text: 'ping' } }]);
  const notice = link.next((f) => f.post_type === 'notice');
  fake.kick('被挤下线', 'elsewhere');
  assert.deepEqual({ ...(await notice), time: 0 }, { time: 0, self_id: SELF, post_type: 'notice', notice_type: 'bot_offline', user_id: SELF, tag: '被挤下线', message: 'elsewhere' });
  const offlineBeat = await link.next(isHeartbeat);
  assert.deepEqual(offlineBeat['status'], { online: false, good: true });
  fake.stopHeartbeats();
  const before = fake.heartbeatsSent;
  // A round trip after the stop: no heartbeat may follow it.
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(fake.heartbeatsSent, before);
});

test('reconnects every reconnectInterval after a drop, and keeps trying after a refusal', async (t) => {
  let refuse = true;
  const s = await server(t, () => (refuse ? 401 : undefined));
  const fake = napcat(t, { url: s.url, heartbeatInterval: 0, reconnectInterval: 50 });
  const refused = await waitFor<{ status?: number }>(fake, 'connect-failed');
  assert.equal(refused.status, 401);
  refuse = false;
  await fake.waitForOpen();
  const first = await s.link(1);
  const started = Date.now();
  first.ws.terminate();
  const second = await s.link(2);
  assert.ok(Date.now() - started >= 40, 'waits its reconnectInterval');
  assert.equal((await second.next())['meta_event_type'], 'lifecycle', 'each link starts with the lifecycle event');
  assert.ok(fake.attempts >= 3);
});

/** Koishi in its own process: the fixture bot. */
async function koishi(t: TestContext) {
  const child = spawn(process.execPath, [new URL('../fixtures/bots/koishi-bot.cjs', import.meta.url).pathname], {
    env: { ...process.env, KOISHI_SELF_ID: String(SELF) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.after(async () => {
    child.kill('SIGKILL');
    await exited;
  });
  const port = await new Promise<number>((resolve, reject) => {
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        lines.push(line);
        const ready = /KOISHI_READY (\d+)/.exec(line);
        if (ready) resolve(Number(ready[1]));
      });
    }
    void exited.then((code) => reject(new Error(`koishi exited (${code}): ${lines.join('\n')}`)));
  });
  return { url: `ws://127.0.0.1:${port}/onebot`, lines };
}

const textOf = (call: { params: Record<string, unknown> }) => JSON.stringify(call.params['message']);

test('Koishi (adapter-onebot, ws-reverse) links through the fake NapCat and answers a message; again after a drop', async (t) => {
  const bot = await koishi(t);
  const fake = napcat(t, { url: bot.url, selfId: SELF, heartbeatInterval: 1000, reconnectInterval: 100 });
  // Koishi's adapter asks who it is as soon as it accepts the link.
  await fake.waitForAction((c) => c.action === 'get_login_info', true);

  fake.privateMessage(42, 'ping');
  const reply = await fake.waitForAction((c) => c.action === 'send_private_msg');
  assert.equal(reply.params['user_id'], 42);
  assert.equal(textOf(reply), JSON.stringify([{ type: 'text', data: { text: 'pong: ping' } }]));

  fake.groupMessage(777, 42, 'hello group');
  const group = await fake.waitForAction((c) => c.action === 'send_group_msg');
  assert.equal(group.params['group_id'], 777);
  assert.match(textOf(group), /pong: hello group/);

  // The kick notice is NapCat's own extension: Koishi takes it without trouble.
  fake.kick();
  fake.setOnline(true);
  // NapCat's link drops; NapCat reconnects after reconnectInterval and Koishi serves the new link.
  const relinked = fake.waitForAction((c) => c.action === 'get_login_info');
  fake.drop();
  await relinked;
  assert.equal(fake.opens, 2);
  fake.privateMessage(43, 'again');
  const again = await fake.waitForAction((c) => c.action === 'send_private_msg' && c.params['user_id'] === 43);
  assert.match(textOf(again), /pong: again/);
  assert.ok(bot.lines.some((l) => l === 'KOISHI_MESSAGE again'));
});

test('Koishi refuses a link without X-Client-Role: Universal (close 1008), as NapCat\'s header comment says', async (t) => {
  const bot = await koishi(t);
  const fake = napcat(t, { url: bot.url, selfId: SELF, heartbeatInterval: 0, clientRole: null, reconnectInterval: 60_000 });
  const closed = await waitFor<{ code: number; reason: string }>(fake, 'close', () => true, 20_000);
  assert.deepEqual(closed, { code: 1008, reason: 'invalid x-client-role' });
});
