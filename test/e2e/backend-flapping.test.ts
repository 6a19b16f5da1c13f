// Restart storms from a flapping backend, with the real CLI: a OneBot server that announces an
// absurd heartbeat interval, and a mirai that drops every link as soon as the bot has linked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeMirai } from '../helpers/fake-mirai.js';
import { FakeOneBot } from '../helpers/fake-onebot.js';
import { waitUntil } from '../helpers/wait.js';
import { events, healthyBot, KEY, miraiJsBot, nth, QQ, watchdog } from './backend-helpers.js';

test('a OneBot server announcing a 1 ms heartbeat interval but beating every 700 ms: no restart storm, no restart at all', async (t) => {
  const fake = await FakeOneBot.start({ heartbeatInterval: 700, announcedInterval: 1 });
  t.after(() => fake.stop());
  const run = watchdog(t, { command: healthyBot, backend: { kind: 'onebot', url: fake.url } });
  await run.waitForEvent('child.spawn');
  const heartbeat = await run.waitForEvent('ws.heartbeat');
  assert.equal(heartbeat['intervalMs'], 1);
  assert.equal(heartbeat['countedMs'], 1000);
  // Several heartbeats (and about 25 polls) later: the link was never judged dead.
  const polls = fake.requests.length;
  await waitUntil(() => fake.requests.length >= polls + 25, 20_000);
  assert.deepEqual(events(run, 'ws.lost'), []);
  assert.equal(events(run, 'child.stop').length, 0);
  assert.equal(events(run, 'child.spawn').length, 1);
});

test('a mirai that drops every link once the bot has linked: the stops are immediate, the starts damped (backend.flapping)', async (t) => {
  const fake = await FakeMirai.start({ verifyKey: KEY, bots: [QQ] });
  t.after(() => fake.stop());
  // The bot's link is on /all, the watchdog's on /event: drop everything shortly after the bot links.
  fake.on('connection', (c) => {
    if (c.path === '/all') setTimeout(() => fake.dropConnection(), 100);
  });
  const flapping = { count: 2, window: '1m', delay: '1s', maxDelay: '2s' };
  const run = watchdog(t, {
    command: miraiJsBot,
    env: { MIRAI_URL: fake.url, MIRAI_VERIFY_KEY: KEY, MIRAI_QQ: String(QQ) },
    backend: { kind: 'mirai', url: fake.url, verifyKey: KEY, qq: QQ },
    restart: { initialDelay: '50ms', maxDelay: '200ms', jitter: 0, flapping },
  });
  await nth(run, 'restart.scheduled', 5, undefined, 60_000);
  const scheduled = events(run, 'restart.scheduled').slice(0, 5);
  assert.ok(scheduled.every((r) => r['reason'] === 'backend-down'), JSON.stringify(scheduled));
  assert.deepEqual(scheduled.map((r) => r['delayMs']), [0, 0, 1000, 2000, 2000]);
  const flaps = events(run, 'backend.flapping').slice(0, 3);
  assert.deepEqual(flaps.map((r) => [r['outages'], r['delayMs'], r['windowMs']]), [
    [3, 1000, 60_000],
    [4, 2000, 60_000],
    [5, 2000, 60_000],
  ]);
  // Each stop followed the drop at once (blips are detected in milliseconds), damped or not.
  const stops = events(run, 'child.stop').slice(0, 5);
  assert.ok(stops.every((s) => s['reason'] === 'backend-down'));
  assert.equal(events(run, 'restart.giveup').length, 0);
});
