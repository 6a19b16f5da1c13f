// The fixture bots that LISTEN for NapCat's reverse WebSocket, proven with a NapCat-shaped client
// and the link sampler: the aiocqhttp-shaped bot whose server task dies while the process lives,
// the bot whose event loop blocks (its receive queue grows), and the Node bot the flood bench uses.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { LinkSampler, type LinkSample, type TreeConnection, type TreeListener } from '../../../src/probes/link/link-probe.js';
import { processStartTime } from '../../../src/process/proc-stat.js';
import { startListeningBot, type ListeningBot } from '../../helpers/listening-bot.js';
import { NapcatClient } from '../../helpers/napcat-client.js';
import { waitUntil } from '../../helpers/wait.js';
import { WsClient } from '../../helpers/ws-client.js';
import { PYTHON, requireTool } from '../../helpers/require-tool.js';
import { alive } from '../../helpers/alive.js';

async function start(t: TestContext, name: string, env: Record<string, string> = {}): Promise<ListeningBot> {
  const bot = await startListeningBot(name, env);
  t.after(() => bot.stop());
  return bot;
}

async function connect(t: TestContext, url: string, options: { accessToken?: string } = {}): Promise<NapcatClient> {
  const client = await NapcatClient.connect(url, options);
  t.after(() => client.close());
  return client;
}

/** The bot's listened links and listener on its port, from /proc, as the link probe sees them. */
function sampler(bot: ListeningBot): () => Extract<LinkSample, { kind: 'ok' }> {
  const s = new LinkSampler({ root: { pid: bot.pid, startTime: processStartTime(bot.pid) as number } });
  const query = { accept: (c: TreeConnection) => c.localPort === bot.port, listener: (l: TreeListener) => l.port === bot.port };
  return () => {
    const sample = s.sample(query);
    assert.equal(sample.kind, 'ok', JSON.stringify(sample));
    return sample as Extract<LinkSample, { kind: 'ok' }>;
  };
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

test('aiocqhttp-like: NapCat connects, a message is answered with send_msg; ping answered; the link and the listener are in /proc', { skip: requireTool(...PYTHON) }, async (t) => {
  const bot = await start(t, 'aiocqhttp_like.py');
  const napcat = await connect(t, `ws://127.0.0.1:${bot.port}/ws`);
  await bot.waitForLine(/aiocqhttp-like: connected self_id=10001 role=Universal/);
  await bot.waitForLine(/aiocqhttp-like: lifecycle connect/);
  napcat.sendMessage('hello', 777);
  const action = await napcat.waitForAction((a) => a.action === 'send_msg');
  assert.deepEqual(action.params, { message_type: 'private', message: 'echo: hello', user_id: 777 });
  assert.equal(typeof action.echo, 'string');
  await new Promise<void>((resolve) => {
    napcat.ws.once('pong', (data: Buffer) => {
      assert.equal(data.toString(), 'are you there');
      resolve();
    });
    napcat.ws.ping('are you there');
  });
  const sample = sampler(bot)();
  assert.equal(sample.links.length, 1);
  assert.equal(sample.links[0]?.pid, bot.pid);
  assert.deepEqual(sample.listeners, [{ pid: bot.pid, address: '127.0.0.1', port: bot.port }]);
});

test('aiocqhttp-like: "/die-server" kills the server task — listener and link close, the process lives on, NapCat cannot reconnect', { skip: requireTool(...PYTHON) }, async (t) => {
  const bot = await start(t, 'aiocqhttp_like.py');
  const napcat = await connect(t, `ws://127.0.0.1:${bot.port}/ws`);
  const sample = sampler(bot);
  assert.equal(sample().listeners.length, 1);
  napcat.sendMessage('/die-server');
  const closed = await napcat.closed;
  assert.equal(closed.code, 1006, 'the link is cut, no close frame');
  await bot.waitForLine(/RuntimeError\('server task died'\); the process lives on/);
  await waitUntil(() => {
    const s = sample();
    return s.listeners.length === 0 && s.links.length === 0;
  }, 10_000);
  assert.equal(await refused(bot.port), true, 'a reconnect is refused');
  assert.equal(alive(bot.pid), true, 'the process lives on');
});

test('aiocqhttp-like: "/close-listener" closes only the listener; the current link still answers', { skip: requireTool(...PYTHON) }, async (t) => {
  const bot = await start(t, 'aiocqhttp_like.py');
  const napcat = await connect(t, `ws://127.0.0.1:${bot.port}/ws`);
  napcat.sendMessage('/close-listener');
  await bot.waitForLine(/listener closed; the link from 127\.0\.0\.1:\d+ carries on/);
  const sample = sampler(bot);
  await waitUntil(() => sample().listeners.length === 0, 10_000);
  assert.equal(sample().links.length, 1);
  napcat.sendMessage('still there?');
  assert.equal((await napcat.waitForAction((a) => a.params['message'] === 'echo: still there?')).action, 'send_msg');
  assert.equal(await refused(bot.port), true);
});

test('aiocqhttp-like: an access token is required when set — Bearer header or access_token query; 401 without, 403 when wrong', { skip: requireTool(...PYTHON) }, async (t) => {
  const bot = await start(t, 'aiocqhttp_like.py', { BOT_ACCESS_TOKEN: 's3cret' });
  assert.equal(await WsClient.upgradeStatus(`ws://127.0.0.1:${bot.port}/ws`), 401);
  assert.equal(await WsClient.upgradeStatus(`ws://127.0.0.1:${bot.port}/ws`, { Authorization: 'Bearer nope' }), 403);
  assert.equal(await WsClient.upgradeStatus(`ws://127.0.0.1:${bot.port}/other`, { Authorization: 'Bearer s3cret' }), 404);
  const byHeader = await connect(t, `ws://127.0.0.1:${bot.port}/ws`, { accessToken: 's3cret' });
  byHeader.sendMessage('a');
  await byHeader.waitForAction((a) => a.params['message'] === 'echo: a');
  const byQuery = await connect(t, `ws://127.0.0.1:${bot.port}/ws?access_token=s3cret`);
  byQuery.sendMessage('b');
  await byQuery.waitForAction((a) => a.params['message'] === 'echo: b');
});

test('blocking-loop bot: "/block" blocks its event loop — what NapCat sends piles up unread in the receive queue, never shrinking', { skip: requireTool(...PYTHON) }, async (t) => {
  const bot = await start(t, 'blocking_loop_bot.py');
  const napcat = await connect(t, `ws://127.0.0.1:${bot.port}/ws`);
  napcat.sendMessage('before');
  await napcat.waitForAction((a) => a.params['message'] === 'echo: before');
  const sample = sampler(bot);
  // A bot that reads leaves nothing waiting (a frame may be in flight for a moment).
  await waitUntil(() => sample().links[0]?.rxQueue === 0, 5000, 10);

  napcat.sendMessage('/block');
  await bot.waitForLine(/blocking the event loop for 3600s/);
  const sizes: number[] = [];
  for (let i = 0; i < 5; i++) {
    napcat.sendMessage(`unread ${i}`);
    const previous = sizes.at(-1) ?? 0;
    sizes.push(await waitUntil(() => {
      const rx = sample().links[0]?.rxQueue ?? 0;
      return rx > previous ? rx : 0;
    }, 5000, 10));
  }
  assert.ok(sizes.every((rx, i) => i === 0 || rx > (sizes[i - 1] as number)), `growing: ${sizes.join(' → ')}`);
  assert.equal(napcat.actions.length, 1, 'no answer while blocked');
  assert.equal(alive(bot.pid), true);
  assert.equal(sample().listeners.length, 1, 'it still listens: only its loop is stuck');
});

test('blocking-loop bot: "/block 1" — the queue drains and every waiting message is answered once the loop runs again', { skip: requireTool(...PYTHON) }, async (t) => {
  const bot = await start(t, 'blocking_loop_bot.py');
  const napcat = await connect(t, `ws://127.0.0.1:${bot.port}/ws`);
  napcat.sendMessage('/block 1');
  await bot.waitForLine(/blocking the event loop for 1s/);
  for (let i = 0; i < 3; i++) napcat.sendMessage(`queued ${i}`);
  await bot.waitForLine(/the event loop runs again/);
  await napcat.waitForAction((a) => a.params['message'] === 'echo: queued 2');
  const sample = sampler(bot);
  await waitUntil(() => sample().links[0]?.rxQueue === 0, 5000);
});

test('reverse-ws-bot.mjs (Node, ws library): answers a message with send_msg on the link NapCat opened', async (t) => {
  const bot = await start(t, 'reverse-ws-bot.mjs');
  const napcat = await connect(t, `ws://127.0.0.1:${bot.port}/onebot`);
  napcat.sendMessage('hi', 5);
  const action = await napcat.waitForAction((a) => a.action === 'send_msg');
  assert.deepEqual(action.params, { message_type: 'private', message: 'echo: hi', user_id: 5 });
  const sample = sampler(bot)();
  assert.equal(sample.links.length, 1);
  assert.equal(sample.listeners.length, 1);
});
