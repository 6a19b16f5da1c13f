// The backend watcher on virtual time (FakeClock): the poll, the link keeper, the readiness
// reducer and the waiting log together, with a scripted poll and link and a fake health port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flush } from '../helpers/fake-clock.js';
import { watcherHarness, ScriptedPoll } from './backend-harness.js';

async function waitState(h: ReturnType<typeof watcherHarness>) {
  const controller = new AbortController();
  let resolved = false;
  const wait = h.watcher.waitUntilReady(controller.signal).then(() => (resolved = true));
  return { wait, resolved: () => resolved, abort: () => controller.abort() };
}

test('ready only when the poll is healthy and the link is up; backend.ready once; waiters wake', async () => {
  const h = watcherHarness();
  h.link.mode = 'down';
  h.watcher.start();
  const waiter = await waitState(h);
  await flush();
  assert.equal(h.watcher.isReady(), false);
  assert.match(h.watcher.lastReason() ?? '', /^mirai-ws: link down$/);
  h.link.mode = 'up';
  await h.clock.advance(100);
  assert.equal(h.watcher.isReady(), true);
  assert.equal(waiter.resolved(), true);
  assert.equal(h.log.events('backend.ready').length, 1);
  assert.equal(h.watcher.lastReason(), undefined);
  await h.watcher.stop();
});

test('backend.waiting: at once when something said no, then every waitingLogEvery with the last reason; silent once ready', async () => {
  const h = watcherHarness();
  h.poll.set('unhealthy', 'GET /about: connection refused');
  h.link.mode = 'down';
  h.watcher.start();
  await flush();
  const waiter = await waitState(h);
  await flush();
  assert.equal(h.log.events('backend.waiting').length, 1);
  assert.match(String(h.log.events('backend.waiting')[0]?.reason), /mirai-http: GET \/about: connection refused; mirai-ws: link down/);
  await h.clock.advance(4000);
  assert.equal(h.log.events('backend.waiting').length, 3);
  h.poll.set('healthy');
  h.link.mode = 'up';
  await h.clock.advance(1000);
  assert.equal(waiter.resolved(), true);
  await h.clock.advance(6000);
  assert.equal(h.log.events('backend.waiting').length, 3, 'no more once ready');
  await h.watcher.stop();
});

test('a healthy backend at start logs no backend.waiting at all', async () => {
  const h = watcherHarness();
  h.watcher.start();
  const waiter = await waitState(h);
  await flush();
  assert.equal(waiter.resolved(), true);
  assert.equal(h.log.events('backend.waiting').length, 0);
  await h.watcher.stop();
});

test('failureThreshold failed polls: backend.down once, a backend-down restart with evidence, then ready again', async () => {
  const h = watcherHarness({ link: false });
  h.watcher.start();
  await flush();
  h.port.spawn();
  h.poll.set('unhealthy', 'GET /about: connection refused');
  await h.clock.advance(2000); // polls 2 and 3 fail… (poll 1 was healthy)
  assert.equal(h.port.restarts.length, 0, 'two failures are not an outage');
  assert.equal(h.watcher.isReady(), true, 'below the threshold the backend still counts as ready');
  await h.clock.advance(1000);
  assert.deepEqual(h.port.restarts, [{ reason: 'backend-down', evidence: { probe: 'mirai-http', lastReason: 'GET /about: connection refused', failures: 3 } }]);
  assert.equal(h.watcher.isReady(), false);
  assert.equal(h.log.events('backend.down').length, 1);
  await h.clock.advance(5000);
  assert.equal(h.port.restarts.length, 1, 'no restart storm while the backend is away');
  assert.equal(h.log.events('backend.down').length, 1);
  h.poll.set('healthy');
  await h.clock.advance(1000);
  assert.equal(h.watcher.isReady(), true);
  assert.equal(typeof h.log.events('backend.ready').at(-1)?.downMs, 'number');
  await h.watcher.stop();
});

test('a confirmed link drop: backend.down at once, restart with closeCode, reconnect with backoff, ready after a fresh poll', async () => {
  const h = watcherHarness();
  h.watcher.start();
  await flush();
  h.port.spawn();
  h.link.mode = 'down';
  h.link.last.lose('closed', 1006);
  await flush();
  assert.equal(h.port.restarts.length, 1);
  const evidence = h.port.restarts[0]?.evidence;
  assert.equal(h.port.restarts[0]?.reason, 'backend-down');
  assert.equal(evidence?.['closeCode'], 1006);
  assert.equal(evidence?.['cause'], 'closed');
  assert.equal(evidence?.['reconnect'], 'link down', 'the confirming reconnect failed too');
  assert.equal(h.log.events('ws.lost').length, 1);
  assert.equal(h.log.events('backend.down').length, 1);
  // The health pipeline hears: up, a drop being confirmed (unknown), the confirmed loss, the failed reconnect.
  assert.deepEqual(h.port.verdicts('mirai-ws'), ['healthy', 'unknown', 'unhealthy', 'unhealthy']);
  const loss = h.port.reports.filter((r) => r.probe === 'mirai-ws')[2];
  assert.equal(loss?.reason, 'lost: closed');
  assert.deepEqual(loss?.evidence, { cause: 'closed', closeCode: 1006, reconnect: 'link down' });
  assert.equal(h.log.events('probe.failed').length, 0, 'probe.* transitions are the health pipeline\'s to log');
  assert.equal(h.watcher.isReady(), false);
  const pollsBefore = h.poll.calls;
  h.link.mode = 'up';
  await h.clock.advance(100);
  assert.equal(h.link.attempts.length, 3);
  assert.ok(h.poll.calls > pollsBefore, 'a fresh poll was asked for as soon as the link came back');
  assert.equal(h.watcher.isReady(), true);
  assert.deepEqual(h.port.verdicts('mirai-ws').slice(4), ['healthy']);
  assert.equal(h.log.events('probe.recovered').length, 0);
  await h.watcher.stop();
});

test('a blip (drop, immediate reconnect works): the running bot is restarted once, as backend-down', async () => {
  const h = watcherHarness();
  h.watcher.start();
  await flush();
  h.port.spawn();
  await h.clock.advance(10); // the bot has been running (and linked) for a while
  h.link.last.lose('closed', 1006);
  await flush();
  assert.equal(h.port.restarts.length, 1);
  assert.equal(h.port.restarts[0]?.reason, 'backend-down');
  assert.equal(h.port.restarts[0]?.evidence?.['blip'], true);
  assert.equal(h.log.events('backend.blip').length, 1);
  assert.equal(h.log.events('backend.down').length, 0, 'not an outage');
  assert.equal(h.watcher.isReady(), true, 'ready again once the fresh poll answered');
  await h.watcher.stop();
});

test('after a drop only a poll that started after it makes the backend ready again', async () => {
  const h = watcherHarness();
  h.watcher.start();
  await flush();
  h.poll.latencyMs = 60_000; // as if this answer had been under way since before the drop
  h.link.last.lose('closed', 1006);
  await flush();
  assert.equal(h.watcher.isReady(), false);
  assert.match(h.watcher.lastReason() ?? '', /mirai-http: checking again after the link dropped/);
  h.poll.latencyMs = 0;
  await h.clock.advance(1000);
  assert.equal(h.watcher.isReady(), true);
  await h.watcher.stop();
});

test('a bot started after the drop is not restarted for it', async () => {
  const h = watcherHarness();
  h.watcher.start();
  await flush();
  const connection = h.link.last;
  // The bot starts in the instant between the loss and the blip.
  const origOpen = h.link.open;
  h.link.open = () => {
    h.port.spawn();
    return origOpen();
  };
  connection.lose('closed', 1006);
  await flush();
  assert.equal(h.port.restarts.length, 0);
  await h.watcher.stop();
});

test('no pong: down without a confirming attempt', async () => {
  const h = watcherHarness();
  h.watcher.start();
  await flush();
  h.port.spawn();
  h.link.last.lose('pong-timeout');
  await flush();
  assert.equal(h.link.attempts.length, 1);
  assert.equal(h.port.restarts[0]?.evidence?.['cause'], 'pong-timeout');
  await h.watcher.stop();
});

test('a misconfigured link (wrong verifyKey) never restarts the bot; one error; the poll alone gates (degraded ready)', async () => {
  const h = watcherHarness();
  h.link.mode = 'misconfigured';
  h.watcher.start();
  const waiter = await waitState(h);
  await flush();
  assert.equal(waiter.resolved(), true, 'the start is not blocked by our own config error');
  assert.deepEqual(h.log.events('backend.ready')[0]?.degraded, ['mirai-ws']);
  h.port.spawn();
  await h.clock.advance(95_000);
  assert.equal(h.link.attempts.length, 4, 'kept checking every 30 s');
  assert.equal(h.port.restarts.length, 0);
  // Every attempt is reported as misconfigured (the health pipeline logs the error once per reason).
  assert.deepEqual(h.port.verdicts('mirai-ws'), ['misconfigured', 'misconfigured', 'misconfigured', 'misconfigured']);
  assert.match(h.port.reports.find((r) => r.probe === 'mirai-ws')?.reason ?? '', /^link misconfigured$/);
  assert.equal(h.log.events('probe.misconfigured').length, 0);
  // The poll still sees a real outage.
  h.poll.set('unhealthy', 'refused');
  await h.clock.advance(3000);
  assert.equal(h.port.restarts[0]?.reason, 'backend-down');
  await h.watcher.stop();
});

test('a misconfigured poll (OneBot 401) counts as "the server answers"', async () => {
  const poll = new ScriptedPoll('onebot-http');
  poll.set('misconfigured', 'HTTP 401');
  const h = watcherHarness({ link: false, poll });
  h.watcher.start();
  await flush();
  assert.equal(h.watcher.isReady(), true);
  h.port.spawn();
  await h.clock.advance(5000);
  assert.equal(h.port.restarts.length, 0);
  await h.watcher.stop();
});

test('mirai account events: offline → not ready, the bot is left alone; online/relogin → account-relogin restart', async () => {
  const h = watcherHarness();
  h.watcher.start();
  await flush();
  h.port.spawn();
  h.link.last.signal({ kind: 'account', online: false, event: 'BotOfflineEventDropped', details: { qq: 1 } });
  await flush();
  assert.equal(h.watcher.isReady(), false);
  assert.equal(h.port.restarts.length, 0);
  assert.equal(h.log.events('backend.account-offline')[0]?.type, 'BotOfflineEventDropped');
  assert.match(h.watcher.lastReason() ?? '', /account is offline \(BotOfflineEventDropped\)/);
  h.link.last.signal({ kind: 'account', online: true, event: 'BotReloginEvent', details: { qq: 1 } });
  await flush();
  assert.equal(h.port.restarts[0]?.reason, 'account-relogin');
  assert.equal(h.port.restarts[0]?.evidence?.['type'], 'BotReloginEvent');
  assert.equal(h.watcher.isReady(), true);
  assert.equal(h.log.events('backend.account-online').length, 1);
  await h.watcher.stop();
});

test('OneBot heartbeat status.online=false is an outage; online again makes it ready', async () => {
  const h = watcherHarness({ linkAccount: 'outage' });
  h.watcher.start();
  await flush();
  h.port.spawn();
  h.link.last.signal({ kind: 'heartbeat', intervalMs: 5000, online: true });
  assert.equal(h.log.events('backend.account-online').length, 0, 'healthy heartbeats are not news');
  h.link.last.signal({ kind: 'heartbeat', intervalMs: 5000, online: false });
  h.link.last.signal({ kind: 'heartbeat', intervalMs: 5000, online: false });
  await flush();
  assert.equal(h.port.restarts.length, 1);
  assert.equal(h.port.restarts[0]?.reason, 'backend-down');
  assert.equal(h.log.events('backend.account-offline').length, 1);
  assert.equal(h.watcher.isReady(), false);
  h.link.last.signal({ kind: 'heartbeat', intervalMs: 5000, online: true });
  await flush();
  assert.equal(h.watcher.isReady(), true);
  assert.equal(h.log.events('backend.account-online').length, 1);
  await h.watcher.stop();
});

test('an outage before the backend was ever ready is no backend.down (the start is still waiting)', async () => {
  const h = watcherHarness();
  h.poll.set('unhealthy', 'refused');
  h.link.mode = 'down';
  h.watcher.start();
  await h.clock.advance(5000);
  assert.equal(h.log.events('backend.down').length, 0);
  await h.watcher.stop();
});

test('stop() wakes waiters, closes the link and leaves no timer behind', async () => {
  const h = watcherHarness();
  h.poll.set('unhealthy');
  h.watcher.start();
  await flush();
  const waiter = await waitState(h);
  await h.watcher.stop();
  await flush();
  assert.equal(waiter.resolved(), true);
  assert.equal(h.link.last.closed, true);
  assert.equal(h.clock.pending(), 0, 'no timer left');
  const calls = h.poll.calls;
  await h.clock.advance(10_000);
  assert.equal(h.poll.calls, calls);
  assert.equal(h.link.attempts.length, 1);
});

test('a link WE closed (an oversized or invalid frame): no restart, no blip, no outage; ws.reset logged the 1st, 2nd, 4th… time', async () => {
  const h = watcherHarness();
  h.watcher.start();
  await flush();
  h.port.spawn();
  await h.clock.advance(10);
  h.link.last.lose('protocol', 1009);
  await flush();
  assert.equal(h.port.restarts.length, 0, 'a healthy bot is left alone');
  assert.equal(h.log.events('backend.blip').length, 0);
  assert.equal(h.log.events('backend.down').length, 0);
  assert.equal(h.log.events('ws.lost').length, 0, 'not "the link was lost": we closed it');
  const reset = h.log.events('ws.reset');
  assert.equal(reset.length, 1);
  assert.equal(reset[0]?.level, 'warn');
  assert.equal(reset[0]?.closeCode, 1009);
  assert.equal(reset[0]?.count, 1);
  assert.equal(reset[0]?.delayMs, 0);
  assert.equal(h.link.attempts.length, 2, 'renewed at once');
  assert.equal(h.watcher.isReady(), true, 'still ready: nothing about the backend changed');
  assert.ok(!h.port.verdicts('mirai-ws').includes('unhealthy') && !h.port.verdicts('mirai-ws').includes('unknown'));

  for (let i = 2; i <= 8; i++) {
    h.link.last.lose('protocol', 1002);
    await h.clock.advance(1000); // past each renewal delay (at most maxDelay)
  }
  assert.deepEqual(h.log.events('ws.reset').map((r) => r.count), [1, 2, 4, 8]);
  assert.equal(h.port.restarts.length, 0);
  assert.equal(h.watcher.isReady(), true);

  // Only a drop the backend caused counts.
  await h.clock.advance(10);
  h.link.last.lose('closed', 1006);
  await flush();
  assert.equal(h.port.restarts.length, 1);
  assert.equal(h.log.events('backend.blip').length, 1);
  await h.watcher.stop();
});
