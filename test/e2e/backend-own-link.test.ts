// The watchdog's own link trouble is not the bot's: a frame too big or invalid on the watchdog's
// link to mirai is renewed quietly; the healthy bot (and its own link) is left alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_FRAME_BYTES } from '../../src/backend/ws-connection.js';
import { INVALID_FRAMES } from '../helpers/fake-backend.js';
import { FakeMirai } from '../helpers/fake-mirai.js';
import { waitUntil } from '../helpers/wait.js';
import { events, KEY, miraiJsBot, nth, QQ, watchdog } from './backend-helpers.js';

test('one oversized and one invalid frame on the watchdog\'s link: ws.reset each, no blip, no restart; a real drop still counts', async (t) => {
  const fake = await FakeMirai.start({ verifyKey: KEY, bots: [QQ] });
  t.after(() => fake.stop());
  const run = watchdog(t, {
    command: miraiJsBot,
    env: { MIRAI_URL: fake.url, MIRAI_VERIFY_KEY: KEY, MIRAI_QQ: String(QQ) },
    backend: { kind: 'mirai', url: fake.url, verifyKey: KEY, qq: QQ },
  });
  await run.waitForStdout(/bot: connected/);
  const ours = () => fake.connections().filter((c) => c.path === '/event');
  const bots = () => fake.connections().filter((c) => c.path === '/all');
  await waitUntil(() => ours().length === 1 && bots().length === 1, 10_000);
  const botLink = bots()[0]?.id;

  // 1. A frame larger than the link takes (1009).
  const first = ours()[0]?.id;
  assert.equal(fake.sendText('x'.repeat(MAX_FRAME_BYTES + 1), (c) => c.path === '/event'), 1);
  const reset = await run.waitForEvent('ws.reset');
  assert.equal(reset['level'], 'warn');
  assert.equal(reset['closeCode'], 1009);
  assert.match(String(reset['reason']), /a frame larger than 1 MiB/);
  assert.match(String(reset['msg']), /not a fault of the backend nor of the bot/);
  await waitUntil(() => ours().length === 1 && ours()[0]?.id !== first, 10_000);
  // The fake lists a connection once upgraded; the watchdog's link is up once its first frame
  // (mirai's session) was taken: a frame sent before that fails the attempt, not the link.
  await nth(run, 'ws.up', 2, (r) => r['probe'] === 'mirai-ws');

  // 2. A frame no WebSocket server may send (a reserved opcode: 1002).
  const second = ours()[0]?.id;
  assert.equal(fake.writeRaw(INVALID_FRAMES.reservedOpcode, (c) => c.path === '/event'), 1);
  await nth(run, 'ws.reset', 2);
  assert.equal(events(run, 'ws.reset')[1]?.['closeCode'], 1002);
  await waitUntil(() => ours().length === 1 && ours()[0]?.id !== second, 10_000);

  assert.equal(events(run, 'child.stop').length, 0, 'the healthy bot is left alone');
  assert.equal(events(run, 'backend.blip').length, 0);
  assert.equal(events(run, 'backend.down').length, 0);
  assert.equal(events(run, 'child.spawn').length, 1);
  assert.deepEqual(bots().map((c) => c.id), [botLink], "the bot's own link was never touched");
  assert.doesNotMatch(run.stderr(), /the bot's own link dropped too/);

  // 3. Only a drop the backend caused counts.
  fake.dropConnection();
  const stop = await run.waitForEvent('child.stop');
  assert.equal(stop['reason'], 'backend-down');
  await nth(run, 'child.spawn', 2);
});
