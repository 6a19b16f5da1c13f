// The differential link verdict under the real CLI (issue 16.1): a bot that LISTENS for NapCat
// (reverse WebSocket, probes.link.listen) while NapCat also dials the watchdog
// (backend.kind "onebot-reverse"). NapCat is two WebSocket clients here, as in its network
// settings: one to the bot, one to the watchdog (test/helpers/fake-napcat.ts each).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { botCommand } from '../helpers/listening-bot.js';
import { FakeNapCat } from '../helpers/fake-napcat.js';
import { startWatchdog } from './bot-probe-helpers.js';

const LINK_GRACE_MS = 3000;

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function setup(t: TestContext) {
  const botPort = await freePort();
  const watchdogPort = await freePort();
  const run = startWatchdog(t, {
    command: botCommand('reverse-ws-bot.mjs'),
    env: { BOT_PORT: String(botPort) },
    startup: { grace: '1500ms' },
    backend: { kind: 'onebot-reverse', listen: `127.0.0.1:${watchdogPort}` },
    probes: { link: { listen: `127.0.0.1:${botPort}`, grace: `${LINK_GRACE_MS}ms`, interval: '200ms' } },
  });
  const napcats: FakeNapCat[] = [];
  t.after(async () => {
    for (const napcat of napcats) await napcat.stop();
  });
  const napcat = (to: 'bot' | 'watchdog') => {
    const fake = FakeNapCat.start({ url: `ws://127.0.0.1:${to === 'bot' ? botPort : watchdogPort}/`, heartbeatInterval: 500, reconnectInterval: 200 });
    napcats.push(fake);
    return fake;
  };
  return { run, napcat };
}

test('NapCat gone for 12 s (linked to neither), probes.link.grace 3 s: backend.down, 0 bot restarts; the bot answers once NapCat is back', async (t) => {
  const { run, napcat } = await setup(t);
  let toBot = napcat('bot');
  let toWatchdog = napcat('watchdog');
  await run.waitForEvent('backend.ready', undefined, 20_000);
  await toBot.waitForOpen();
  toBot.privateMessage(42, 'hello');
  await toBot.waitForAction((a) => a.params['message'] === 'echo: hello');
  // The bot is up: linked to both, past its startup grace.
  await run.waitForEvent('probe.link.target');
  await new Promise((resolve) => setTimeout(resolve, 2000));

  const goneAt = Date.now();
  await toBot.stop();
  await toWatchdog.stop();
  const down = await run.waitForEvent('backend.down', undefined, 10_000);
  assert.equal(down['probe'], 'onebot-reverse');
  await new Promise((resolve) => setTimeout(resolve, 12_000 - (Date.now() - goneAt)));
  assert.deepEqual(run.logs().filter((r) => r.event === 'child.stop'), [], 'NapCat out is never the bot\'s fault');

  const backAt = Date.now();
  toWatchdog = napcat('watchdog');
  toBot = napcat('bot');
  await toBot.waitForOpen();
  toBot.privateMessage(42, 'back?');
  await toBot.waitForAction((a) => a.params['message'] === 'echo: back?');
  const answeredMs = Date.now() - backAt;
  assert.ok(answeredMs < 10_000, `answered ${answeredMs} ms after NapCat came back`);
  await run.waitForEvent('backend.ready', (r) => r['downMs'] !== undefined, 10_000);
  // Past the link's grace with NapCat back: still no restart.
  await new Promise((resolve) => setTimeout(resolve, LINK_GRACE_MS + 1000));
  assert.deepEqual(run.logs().filter((r) => r.event === 'child.stop'), []);
  assert.equal(run.logs().filter((r) => r.event === 'child.spawn').length, 1);
});

test('NapCat linked to the watchdog only (the bot deaf to it): the bot is restarted with link-lost after probes.link.grace', async (t) => {
  const { run, napcat } = await setup(t);
  napcat('watchdog');
  const ready = await run.waitForEvent('backend.ready', undefined, 20_000);
  const stop = await run.waitForEvent('child.stop', (r) => r.reason === 'link-lost', 20_000);
  const afterReadyMs = Date.parse(String(stop.time)) - Date.parse(String(ready.time));
  assert.ok(afterReadyMs >= LINK_GRACE_MS - 300 && afterReadyMs <= LINK_GRACE_MS + 3000, `restarted ${afterReadyMs} ms after NapCat linked the watchdog`);
  assert.match(String(stop['detail']), /NapCat is linked to the watchdog \(account 10001\) for [\d.]+s but not to the bot: it is deaf/);
  assert.equal(stop['listening'], true);
});
