// The watchdog against the fake OneBot v11 server (go-cqhttp-shaped).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { FakeOneBot } from '../helpers/fake-onebot.js';
import { waitUntil } from '../helpers/wait.js';
import { events, healthyBot, nth, watchdog } from './backend-helpers.js';

const TOKEN = 'e2e-OneBot-Token-c0ffee';

async function fakeOneBot(t: TestContext, heartbeatInterval = 200): Promise<FakeOneBot> {
  const fake = await FakeOneBot.start({ accessToken: TOKEN, heartbeatInterval });
  t.after(() => fake.stop());
  return fake;
}

const config = (fake: FakeOneBot, accessToken = TOKEN) => ({
  command: healthyBot,
  backend: { kind: 'onebot', url: fake.url, accessToken },
});

test('OneBot: the account going offline stops the bot; back online, it starts again', async (t) => {
  const fake = await fakeOneBot(t);
  const run = watchdog(t, config(fake));
  await run.waitForEvent('child.spawn');
  await run.waitForStdout(/healthy: ready/);
  fake.setOnline(false);
  const stop = await run.waitForEvent('child.stop');
  assert.equal(stop['reason'], 'backend-down');
  assert.match(String(stop['lastReason']), /offline/);
  await run.waitForEvent('backend.account-offline');
  await run.waitForEvent('backend.waiting');
  assert.equal(events(run, 'child.spawn').length, 1);
  fake.setOnline(true);
  await nth(run, 'child.spawn', 2);
  assert.equal(events(run, 'restart.giveup').length, 0);
});

test('OneBot: heartbeats that stop coming mean the link is dead', async (t) => {
  const fake = await fakeOneBot(t);
  const run = watchdog(t, config(fake));
  await run.waitForEvent('child.spawn');
  // The watch starts with the first heartbeat of a link (it announces the interval).
  assert.equal((await run.waitForEvent('ws.heartbeat'))['intervalMs'], 200);
  fake.stopHeartbeats();
  const stop = await run.waitForEvent('child.stop');
  assert.equal(stop['cause'], 'heartbeat-timeout');
  fake.resumeHeartbeats();
  await nth(run, 'child.spawn', 2);
});

test('OneBot: dropped sockets stop the bot; it is started again at once when the server answers', async (t) => {
  const fake = await fakeOneBot(t, 5000);
  const run = watchdog(t, config(fake));
  await run.waitForEvent('child.spawn');
  await waitUntil(() => fake.connections().length === 1, 10_000);
  fake.dropConnection();
  const stop = await run.waitForEvent('child.stop');
  assert.equal(stop['reason'], 'backend-down');
  assert.equal(stop['closeCode'], 1006);
  await nth(run, 'child.spawn', 2);
});

test('OneBot: a wrong access token is a clear error per probe, never a restart, never logged', async (t) => {
  const fake = await fakeOneBot(t);
  const wrong = 'Wrong-Token-5a5a5a';
  const run = watchdog(t, config(fake, wrong));
  await run.waitForEvent('child.spawn'); // the bot has its own token: it is not held back by ours
  await nth(run, 'probe.misconfigured', 2);
  const requests = fake.requests.length;
  await waitUntil(() => fake.requests.length >= requests + 8, 15_000);
  const errors = events(run, 'probe.misconfigured');
  assert.deepEqual(errors.map((e) => e['probe']).sort(), ['onebot-http', 'onebot-ws']);
  assert.ok(errors.every((e) => /403/.test(String(e['reason']))));
  assert.equal(events(run, 'child.stop').length, 0);
  assert.ok(!run.stderr().includes(wrong) && !run.stderr().includes(TOKEN));
});
