// The watchdog against the fake mirai-api-http, with real bots (mirai-js, a QChatGPT-shaped
// Python script) that go deaf when their link drops: the reason bot-watchdog exists.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { FakeMirai } from '../helpers/fake-mirai.js';
import { waitUntil } from '../helpers/wait.js';
import { between, events, KEY, miraiJsBot, nth, occurrences, pythonBot, QQ, watchdog } from './backend-helpers.js';
import { PYTHON, requireTool } from '../helpers/require-tool.js';

async function fakeMirai(t: TestContext): Promise<FakeMirai> {
  const fake = await FakeMirai.start({ verifyKey: KEY, bots: [QQ] });
  t.after(() => fake.stop());
  return fake;
}

function miraiConfig(fake: FakeMirai, command: string[], extra: Record<string, unknown> = {}) {
  return {
    command,
    env: { MIRAI_URL: fake.url, MIRAI_VERIFY_KEY: KEY, MIRAI_QQ: String(QQ), BOT_KEEPALIVE_SECONDS: '60' },
    backend: { kind: 'mirai', url: fake.url, verifyKey: KEY, qq: QQ },
    ...extra,
  };
}

/** WebSocket clients of the bot (the watchdog's own link is on /event, the bots use /all). */
const botLinks = (fake: FakeMirai) => fake.connections().filter((c) => c.path === '/all');

test('backend down at start: the bot is spawned only after the fake comes up, and links', async (t) => {
  const fake = await fakeMirai(t);
  await fake.fault('refuse');
  const run = watchdog(t, miraiConfig(fake, miraiJsBot));
  const waiting = await run.waitForEvent('backend.waiting');
  assert.match(String(waiting['reason']), /connection refused/);
  await nth(run, 'backend.waiting', 2); // still waiting a while later, nothing spawned
  assert.equal(events(run, 'child.spawn').length, 0);

  await fake.clearFaults();
  const spawn = await run.waitForEvent('child.spawn');
  const ready = events(run, 'backend.ready')[0];
  assert.ok(ready && between(ready, spawn) >= 0, 'backend.ready comes before the spawn');
  await run.waitForStdout(/bot: connected/);
  assert.equal(botLinks(fake).length, 1);
  assert.equal(events(run, 'child.spawn').length, 1);
});

test('QChatGPT-shaped bot: a socket drop stops it and starts it again with a fresh connection', { skip: requireTool(...PYTHON) }, async (t) => {
  const fake = await fakeMirai(t);
  const run = watchdog(t, miraiConfig(fake, pythonBot));
  await run.waitForStdout(/bot: connected/);
  const [first] = botLinks(fake);
  assert.ok(first);

  const dropped = Date.now();
  fake.dropConnection(); // every socket, no close frame: the bot's link and ours see 1006
  const stop = await run.waitForEvent('child.stop');
  assert.equal(stop['reason'], 'backend-down');
  assert.equal(stop['closeCode'], 1006);
  assert.ok(Date.now() - dropped < 10_000);
  await nth(run, 'child.spawn', 2);
  await run.waitForStdout(/bot: connected[\s\S]*bot: connected/);
  const links = botLinks(fake);
  assert.equal(links.length, 1);
  assert.notEqual(links[0]?.id, first.id, 'a fresh connection');
  assert.equal(events(run, 'restart.scheduled')[0]?.['delayMs'], 0, 'no backoff for a backend outage');
});

test('mirai-js bot (never reconnects): a drop stops it and starts it again, linked', async (t) => {
  const fake = await fakeMirai(t);
  const run = watchdog(t, miraiConfig(fake, miraiJsBot));
  await run.waitForStdout(/bot: connected/);
  await waitUntil(() => botLinks(fake).length === 1, 10_000);
  fake.dropConnection();
  assert.equal((await run.waitForEvent('child.stop'))['reason'], 'backend-down');
  await run.waitForStdout(/bot: connected[\s\S]*bot: connected/);
  await waitUntil(() => botLinks(fake).length === 1, 10_000);
});

test('backend down for a while: one stop, no restarts while down, one start when back, never a give-up', async (t) => {
  const fake = await fakeMirai(t);
  // A limit of 1 restart: if outages counted, the second one would make the watchdog give up.
  const run = watchdog(t, miraiConfig(fake, miraiJsBot, { restart: { initialDelay: '50ms', maxDelay: '200ms', jitter: 0, limit: { count: 1, window: '10m' } } }));
  await run.waitForStdout(/bot: connected/);
  for (let outage = 1; outage <= 3; outage++) {
    await fake.fault('refuse');
    const stop = await nth(run, 'child.stop', outage);
    assert.equal(stop['reason'], 'backend-down');
    const down = events(run, 'backend.waiting').length;
    await nth(run, 'backend.waiting', down + 2); // a couple of seconds of outage
    assert.equal(events(run, 'child.spawn').length, outage, 'nothing started while the backend is away');
    await fake.clearFaults();
    await nth(run, 'child.spawn', outage + 1);
    await waitUntil(() => occurrences(run.stdout(), /bot: connected/) === outage + 1, 15_000);
  }
  assert.equal(events(run, 'restart.giveup').length, 0);
  assert.equal(events(run, 'backend.down').length, 3);
  assert.ok(events(run, 'restart.scheduled').every((r) => r['reason'] === 'backend-down' && r['delayMs'] === 0));
});

test('a frozen backend is detected by the missing pong, within pingInterval + pongTimeout', { skip: requireTool(...PYTHON) }, async (t) => {
  const fake = await fakeMirai(t);
  const run = watchdog(t, miraiConfig(fake, pythonBot, { probes: { websocket: { pingInterval: '300ms', pongTimeout: '1s' } } }));
  await run.waitForStdout(/bot: connected/);
  const frozenAt = Date.now();
  await fake.fault('freeze');
  const stop = await run.waitForEvent('child.stop');
  const detectedMs = Date.parse(String(stop['time'])) - frozenAt;
  assert.equal(stop['reason'], 'backend-down');
  assert.equal(stop['cause'], 'pong-timeout');
  // 300 ms + 1000 ms configured; a generous margin for a busy machine (the bench measures it).
  assert.ok(detectedMs < 5000, `detected after ${detectedMs}ms`);
  await fake.clearFaults();
  await nth(run, 'child.spawn', 2);
  await run.waitForStdout(/bot: connected[\s\S]*bot: connected/);
});

test('wrong verifyKey in our config: the bot keeps running, one clear error, the key never logged', { skip: requireTool(...PYTHON) }, async (t) => {
  const fake = await fakeMirai(t);
  const ourKey = 'Our-Wrong-Key-91c2';
  const run = watchdog(t, miraiConfig(fake, pythonBot, { backend: { kind: 'mirai', url: fake.url, verifyKey: ourKey, qq: QQ } }));
  const error = await run.waitForEvent('probe.misconfigured');
  assert.equal(error['level'], 'error');
  assert.equal(error['probe'], 'mirai-ws');
  assert.match(String(error['reason']), /verifyKey/);
  await run.waitForStdout(/bot: connected/); // the bot has the right key: it works
  // Many polls later: still one error, no stop.
  const polls = fake.requests.filter((r) => r.path === '/about').length;
  await waitUntil(() => fake.requests.filter((r) => r.path === '/about').length >= polls + 8, 15_000);
  assert.equal(events(run, 'probe.misconfigured').length, 1);
  assert.equal(events(run, 'child.stop').length, 0);
  assert.equal(events(run, 'child.spawn').length, 1);
  assert.ok(!run.stderr().includes(ourKey) && !run.stdout().includes(ourKey), 'the key is never logged');
  assert.ok(!run.stderr().includes(KEY));
});

test('garbage and wrong-code answers never crash the watchdog; the bot waits them out', async (t) => {
  const fake = await fakeMirai(t);
  const run = watchdog(t, miraiConfig(fake, miraiJsBot));
  await run.waitForStdout(/bot: connected/);
  await fake.fault('garbage');
  const stop = await run.waitForEvent('child.stop');
  assert.equal(stop['reason'], 'backend-down');
  assert.match(String(stop['lastReason']), /not a JSON object/);
  await nth(run, 'backend.waiting', 2);
  await fake.fault({ kind: 'wrongCode', code: 500, msg: 'kaboom' });
  await run.waitForEvent('backend.waiting', (r) => /code 500/.test(String(r['reason'])));
  await fake.clearFaults();
  await nth(run, 'child.spawn', 2);
  assert.equal(run.child.exitCode, null, 'the watchdog is alive');
  assert.equal(events(run, 'watchdog.error').length, 0);
  assert.doesNotMatch(run.stderr(), /internal error|TypeError|SyntaxError/);
});

test('account events: offline is logged and the bot left alone; a relogin restarts it (its session is stale)', async (t) => {
  const fake = await fakeMirai(t);
  const run = watchdog(t, miraiConfig(fake, miraiJsBot));
  await run.waitForStdout(/bot: connected/);
  await waitUntil(() => fake.connections().some((c) => c.path === '/event'), 10_000);
  fake.pushEvent({ type: 'BotOfflineEventDropped', qq: QQ });
  const offline = await run.waitForEvent('backend.account-offline');
  assert.equal(offline['type'], 'BotOfflineEventDropped');
  fake.pushEvent({ type: 'BotReloginEvent', qq: QQ });
  const stop = await run.waitForEvent('child.stop');
  assert.equal(stop['reason'], 'account-relogin');
  await run.waitForEvent('backend.account-online');
  await nth(run, 'child.spawn', 2);
  await run.waitForStdout(/bot: connected[\s\S]*bot: connected/);
  assert.equal(events(run, 'child.stop').length, 1);
});

test('startup.timeout: a clear message with the last reason, exit 4, nothing spawned', async (t) => {
  const fake = await fakeMirai(t);
  await fake.fault('refuse');
  const run = watchdog(t, miraiConfig(fake, miraiJsBot, { startup: { timeout: '1s' } }));
  const { code } = await run.exited;
  assert.equal(code, 4);
  const timeout = events(run, 'backend.timeout')[0];
  assert.match(String(timeout?.['lastReason']), /mirai-http: GET \/about: connection refused/);
  assert.match(String(timeout?.['msg']), /not ready within startup\.timeout/);
  assert.equal(events(run, 'child.spawn').length, 0);
});
