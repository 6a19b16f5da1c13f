import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { flush } from '../helpers/fake-clock.js';
import { monitorHarness, ScriptedPoll } from './backend-harness.js';

function fakeTimers(t: TestContext) {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
}

/** Moves fake time forward in steps, letting the loops run between them. */
async function advance(t: TestContext, ms: number, step = 100): Promise<void> {
  for (let done = 0; done < ms; done += step) {
    t.mock.timers.tick(Math.min(step, ms - done));
    await flush();
  }
}

async function waitState(h: ReturnType<typeof monitorHarness>) {
  const controller = new AbortController();
  let resolved = false;
  const wait = h.monitor.waitUntilReady(controller.signal).then(() => (resolved = true));
  return { wait, resolved: () => resolved, abort: () => controller.abort() };
}

test('ready only when the poll is healthy and the link is up; backend.ready once; waiters wake', async (t) => {
  fakeTimers(t);
  const h = monitorHarness();
  h.link.mode = 'down';
  h.monitor.start(h.handle);
  const waiter = await waitState(h);
  await flush();
  assert.equal(h.monitor.isReady(), false);
  assert.match(h.monitor.lastReason() ?? '', /^mirai-ws: link down$/);
  h.link.mode = 'up';
  await advance(t, 100);
  assert.equal(h.monitor.isReady(), true);
  assert.equal(waiter.resolved(), true);
  assert.equal(h.log.events('backend.ready').length, 1);
  assert.equal(h.monitor.lastReason(), undefined);
  await h.monitor.stop();
});

test('backend.waiting: at once when something said no, then every waitingLogEvery with the last reason; silent once ready', async (t) => {
  fakeTimers(t);
  const h = monitorHarness();
  h.poll.set('unhealthy', 'GET /about: connection refused');
  h.link.mode = 'down';
  h.monitor.start(h.handle);
  await flush();
  const waiter = await waitState(h);
  await flush();
  assert.equal(h.log.events('backend.waiting').length, 1);
  assert.match(String(h.log.events('backend.waiting')[0]?.reason), /mirai-http: GET \/about: connection refused; mirai-ws: link down/);
  await advance(t, 4000);
  assert.equal(h.log.events('backend.waiting').length, 3);
  h.poll.set('healthy');
  h.link.mode = 'up';
  await advance(t, 1000);
  assert.equal(waiter.resolved(), true);
  await advance(t, 6000);
  assert.equal(h.log.events('backend.waiting').length, 3, 'no more once ready');
  await h.monitor.stop();
});

test('a healthy backend at start logs no backend.waiting at all', async (t) => {
  fakeTimers(t);
  const h = monitorHarness();
  h.monitor.start(h.handle);
  const waiter = await waitState(h);
  await flush();
  assert.equal(waiter.resolved(), true);
  assert.equal(h.log.events('backend.waiting').length, 0);
  await h.monitor.stop();
});

test('failureThreshold failed polls: backend.down once, a backend-down restart with evidence, then ready again', async (t) => {
  fakeTimers(t);
  const h = monitorHarness({ link: false });
  h.monitor.start(h.handle);
  await flush();
  h.handle.spawn();
  h.poll.set('unhealthy', 'GET /about: connection refused');
  await advance(t, 2000); // polls 2 and 3 fail… (poll 1 was healthy)
  assert.equal(h.handle.restarts.length, 0, 'two failures are not an outage');
  assert.equal(h.monitor.isReady(), true, 'below the threshold the backend still counts as ready');
  await advance(t, 1000);
  assert.deepEqual(h.handle.restarts, [{ reason: 'backend-down', evidence: { probe: 'mirai-http', lastReason: 'GET /about: connection refused', failures: 3 } }]);
  assert.equal(h.monitor.isReady(), false);
  assert.equal(h.log.events('backend.down').length, 1);
  await advance(t, 5000);
  assert.equal(h.handle.restarts.length, 1, 'no restart storm while the backend is away');
  assert.equal(h.log.events('backend.down').length, 1);
  h.poll.set('healthy');
  await advance(t, 1000);
  assert.equal(h.monitor.isReady(), true);
  assert.equal(typeof h.log.events('backend.ready').at(-1)?.downMs, 'number');
  await h.monitor.stop();
});

test('a confirmed link drop: backend.down at once, restart with closeCode, reconnect with backoff, ready after a fresh poll', async (t) => {
  fakeTimers(t);
  const h = monitorHarness();
  h.monitor.start(h.handle);
  await flush();
  h.handle.spawn();
  h.link.mode = 'down';
  h.link.last.lose('closed', 1006);
  await flush();
  assert.equal(h.handle.restarts.length, 1);
  const evidence = h.handle.restarts[0]?.evidence;
  assert.equal(h.handle.restarts[0]?.reason, 'backend-down');
  assert.equal(evidence?.['closeCode'], 1006);
  assert.equal(evidence?.['cause'], 'closed');
  assert.equal(evidence?.['reconnect'], 'link down', 'the confirming reconnect failed too');
  assert.equal(h.log.events('ws.lost').length, 1);
  assert.equal(h.log.events('backend.down').length, 1);
  assert.equal(h.log.events('probe.failed').filter((r) => r.probe === 'mirai-ws').length, 1);
  assert.equal(h.monitor.isReady(), false);
  const pollsBefore = h.poll.calls;
  h.link.mode = 'up';
  await advance(t, 100);
  assert.equal(h.link.attempts.length, 3);
  assert.ok(h.poll.calls > pollsBefore, 'a fresh poll was asked for as soon as the link came back');
  assert.equal(h.monitor.isReady(), true);
  assert.equal(h.log.events('probe.recovered').filter((r) => r.probe === 'mirai-ws').length, 1);
  await h.monitor.stop();
});

test('a blip (drop, immediate reconnect works): the running bot is restarted once, as backend-down', async (t) => {
  fakeTimers(t);
  const h = monitorHarness();
  h.monitor.start(h.handle);
  await flush();
  h.handle.spawn();
  h.link.last.lose('closed', 1006);
  await flush();
  assert.equal(h.handle.restarts.length, 1);
  assert.equal(h.handle.restarts[0]?.reason, 'backend-down');
  assert.equal(h.handle.restarts[0]?.evidence?.['blip'], true);
  assert.equal(h.log.events('backend.blip').length, 1);
  assert.equal(h.log.events('backend.down').length, 0, 'not an outage');
  assert.equal(h.monitor.isReady(), true, 'ready again once the fresh poll answered');
  await h.monitor.stop();
});

test('after a drop only a poll that started after it makes the backend ready again', async (t) => {
  fakeTimers(t);
  const h = monitorHarness();
  h.monitor.start(h.handle);
  await flush();
  h.poll.latencyMs = 60_000; // as if this answer had been under way since before the drop
  h.link.last.lose('closed', 1006);
  await flush();
  assert.equal(h.monitor.isReady(), false);
  assert.match(h.monitor.lastReason() ?? '', /mirai-http: checking again after the link dropped/);
  h.poll.latencyMs = 0;
  await advance(t, 1000);
  assert.equal(h.monitor.isReady(), true);
  await h.monitor.stop();
});

test('a bot started after the drop is not restarted for it', async (t) => {
  fakeTimers(t);
  const h = monitorHarness();
  h.monitor.start(h.handle);
  await flush();
  const connection = h.link.last;
  // The bot starts in the instant between the loss and the blip.
  const origOpen = h.link.open;
  h.link.open = () => {
    h.handle.spawn();
    return origOpen();
  };
  connection.lose('closed', 1006);
  await flush();
  assert.equal(h.handle.restarts.length, 0);
  await h.monitor.stop();
});

test('no pong: down without a confirming attempt', async (t) => {
  fakeTimers(t);
  const h = monitorHarness();
  h.monitor.start(h.handle);
  await flush();
  h.handle.spawn();
  h.link.last.lose('pong-timeout');
  await flush();
  assert.equal(h.link.attempts.length, 1);
  assert.equal(h.handle.restarts[0]?.evidence?.['cause'], 'pong-timeout');
  await h.monitor.stop();
});

test('a misconfigured link (wrong verifyKey) never restarts the bot; one error; the poll alone gates (degraded ready)', async (t) => {
  fakeTimers(t);
  const h = monitorHarness();
  h.link.mode = 'misconfigured';
  h.monitor.start(h.handle);
  const waiter = await waitState(h);
  await flush();
  assert.equal(waiter.resolved(), true, 'the start is not blocked by our own config error');
  assert.deepEqual(h.log.events('backend.ready')[0]?.degraded, ['mirai-ws']);
  h.handle.spawn();
  await advance(t, 95_000, 1000);
  assert.equal(h.link.attempts.length, 4, 'kept checking every 30 s');
  assert.equal(h.handle.restarts.length, 0);
  assert.equal(h.log.events('probe.misconfigured').length, 1);
  assert.equal(h.log.events('probe.misconfigured')[0]?.level, 'error');
  // The poll still sees a real outage.
  h.poll.set('unhealthy', 'refused');
  await advance(t, 3000, 1000);
  assert.equal(h.handle.restarts[0]?.reason, 'backend-down');
  await h.monitor.stop();
});

test('a misconfigured poll (OneBot 401) counts as "the server answers"', async (t) => {
  fakeTimers(t);
  const poll = new ScriptedPoll('onebot-http');
  poll.set('misconfigured', 'HTTP 401');
  const h = monitorHarness({ link: false, poll });
  h.monitor.start(h.handle);
  await flush();
  assert.equal(h.monitor.isReady(), true);
  h.handle.spawn();
  await advance(t, 5000, 1000);
  assert.equal(h.handle.restarts.length, 0);
  await h.monitor.stop();
});

test('mirai account events: offline → not ready, the bot is left alone; online/relogin → account-relogin restart', async (t) => {
  fakeTimers(t);
  const h = monitorHarness();
  h.monitor.start(h.handle);
  await flush();
  h.handle.spawn();
  h.link.last.signal({ kind: 'account', online: false, event: 'BotOfflineEventDropped', details: { qq: 1 } });
  await flush();
  assert.equal(h.monitor.isReady(), false);
  assert.equal(h.handle.restarts.length, 0);
  assert.equal(h.log.events('backend.account-offline')[0]?.type, 'BotOfflineEventDropped');
  assert.match(h.monitor.lastReason() ?? '', /account is offline \(BotOfflineEventDropped\)/);
  h.link.last.signal({ kind: 'account', online: true, event: 'BotReloginEvent', details: { qq: 1 } });
  await flush();
  assert.equal(h.handle.restarts[0]?.reason, 'account-relogin');
  assert.equal(h.handle.restarts[0]?.evidence?.['type'], 'BotReloginEvent');
  assert.equal(h.monitor.isReady(), true);
  assert.equal(h.log.events('backend.account-online').length, 1);
  await h.monitor.stop();
});

test('OneBot heartbeat status.online=false is an outage; online again makes it ready', async (t) => {
  fakeTimers(t);
  const h = monitorHarness({ linkAccount: 'outage' });
  h.monitor.start(h.handle);
  await flush();
  h.handle.spawn();
  h.link.last.signal({ kind: 'heartbeat', intervalMs: 5000, online: true });
  assert.equal(h.log.events('backend.account-online').length, 0, 'healthy heartbeats are not news');
  h.link.last.signal({ kind: 'heartbeat', intervalMs: 5000, online: false });
  h.link.last.signal({ kind: 'heartbeat', intervalMs: 5000, online: false });
  await flush();
  assert.equal(h.handle.restarts.length, 1);
  assert.equal(h.handle.restarts[0]?.reason, 'backend-down');
  assert.equal(h.log.events('backend.account-offline').length, 1);
  assert.equal(h.monitor.isReady(), false);
  h.link.last.signal({ kind: 'heartbeat', intervalMs: 5000, online: true });
  await flush();
  assert.equal(h.monitor.isReady(), true);
  assert.equal(h.log.events('backend.account-online').length, 1);
  await h.monitor.stop();
});

test('an outage before the backend was ever ready is no backend.down (the start is still waiting)', async (t) => {
  fakeTimers(t);
  const h = monitorHarness();
  h.poll.set('unhealthy', 'refused');
  h.link.mode = 'down';
  h.monitor.start(h.handle);
  await advance(t, 5000, 500);
  assert.equal(h.log.events('backend.down').length, 0);
  await h.monitor.stop();
});

test('stop() wakes waiters, closes the link and leaves no timer behind', async (t) => {
  fakeTimers(t);
  const h = monitorHarness();
  h.poll.set('unhealthy');
  h.monitor.start(h.handle);
  await flush();
  const waiter = await waitState(h);
  await h.monitor.stop();
  await flush();
  assert.equal(waiter.resolved(), true);
  assert.equal(h.link.last.closed, true);
  const calls = h.poll.calls;
  await advance(t, 10_000, 1000);
  assert.equal(h.poll.calls, calls);
  assert.equal(h.link.attempts.length, 1);
});
