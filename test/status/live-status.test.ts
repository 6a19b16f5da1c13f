import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeHandle } from '../helpers/fake-handle.js';
import { createRedactor } from '../../src/log/redact.js';
import { StateWriter } from '../../src/state/state-writer.js';
import { healthOf } from '../../src/status/health.js';
import { LiveStatus } from '../../src/status/live-status.js';
import { StatusMetrics } from '../../src/status/metrics.js';
import { RateLimit } from '../../src/status/rate-limit.js';
import { memoryLogger } from '../helpers/log-sink.js';
import { sampleState } from '../state/sample-state.js';

function setup(backendKind = 'mirai') {
  const clock = new FakeClock(Date.parse('2026-05-01T10:00:00.000Z'), 1000);
  const now = () => clock.wallNow();
  const mono = () => clock.now();
  const advance = (ms: number) => clock.advanceSync(ms);
  const handle = new FakeHandle(clock);
  const writer = new StateWriter({ file: '/x/state.json', configFile: undefined, command: ['bot'], version: '0.0.0', logger: memoryLogger().logger, clock: handle.clock, persist: () => {} });
  const metrics = new StatusMetrics({ backendKind, now, monotonic: mono });
  const live = new LiveStatus({ snapshot: () => writer.snapshot(), stateFile: '/x/state.json', backendKind, metrics, redact: createRedactor([]), now });
  writer.start(handle);
  live.start(handle);
  const value = async (name: string, labels = '') => {
    const line = (await metrics.render()).split('\n').find((l) => l.startsWith(`${name}${labels} `));
    return line === undefined ? undefined : Number(line.split(' ')[1]);
  };
  return { handle, live, metrics, advance, value };
}

test('metrics follow the supervisor: bot up and uptime, restarts by reason, last restart time, probes', async () => {
  const { handle, advance, value } = setup();
  assert.equal(await value('bot_watchdog_bot_up'), 0);
  assert.equal(await value('bot_watchdog_restarts_total', '{reason="link-lost"}'), 0, 'every reason exists from the start');
  handle.spawn();
  advance(90_000);
  assert.equal(await value('bot_watchdog_bot_up'), 1);
  assert.equal(await value('bot_watchdog_bot_uptime_seconds'), 90);
  handle.exit();
  handle.events.emit('restart', { reason: 'exited', attempt: 1, delayMs: 1000 });
  assert.equal(await value('bot_watchdog_bot_up'), 0);
  assert.equal(await value('bot_watchdog_bot_uptime_seconds'), 0);
  assert.equal(await value('bot_watchdog_restarts_total', '{reason="exited"}'), 1);
  assert.equal(await value('bot_watchdog_last_restart_timestamp_seconds'), Date.parse('2026-05-01T10:01:30.000Z') / 1000);

  handle.health.report({ probe: 'heartbeat', verdict: 'healthy', reason: '', latencyMs: 2});
  handle.health.report({ probe: 'heartbeat', verdict: 'unhealthy', reason: 'stale', latencyMs: 30});
  assert.equal(await value('bot_watchdog_probe_up', '{probe="heartbeat"}'), 0);
  assert.equal(await value('bot_watchdog_probe_latency_seconds_count', '{probe="heartbeat"}'), 2);
  assert.equal(await value('bot_watchdog_probe_latency_seconds_sum', '{probe="heartbeat"}'), 0.032);
  assert.equal(await value('bot_watchdog_probe_latency_seconds_bucket', '{le="0.0025",probe="heartbeat"}'), 1);
});

test('backend and account: from the backend\'s facts through the health sink; absent while unknown', async () => {
  const { handle, live, value } = setup('mirai');
  assert.equal(await value('bot_watchdog_backend_up', '{backend="mirai"}'), undefined);
  assert.equal(await value('bot_watchdog_account_online', '{backend="mirai"}'), undefined);
  assert.equal(await value('bot_watchdog_backend_outages_total', '{backend="mirai"}'), 0);
  handle.health.report({ probe: 'mirai-http', verdict: 'healthy', reason: 'bot 123 present', latencyMs: 5});
  handle.health.fact({ type: 'ready', probe: 'mirai-http' });
  handle.health.report({ probe: 'heartbeat', verdict: 'unhealthy', reason: '', latencyMs: 0});
  assert.equal(live.view().backend.state, 'up', 'bot probes do not judge the backend');
  assert.equal(await value('bot_watchdog_backend_up', '{backend="mirai"}'), 1);
  assert.equal(await value('bot_watchdog_account_online', '{backend="mirai"}'), 1);
  assert.equal(live.view().account.state, 'online');

  handle.health.report({ probe: 'mirai-ws', verdict: 'unhealthy', reason: 'closed (1006)', latencyMs: 0});
  handle.health.fact({ type: 'down', probe: 'mirai-ws', evidence: { probe: 'mirai-ws', lastReason: 'closed (1006)' } });
  handle.events.emit('restart', { reason: 'backend-down', attempt: 0, delayMs: 0 });
  const view = live.view();
  assert.deepEqual([view.backend.state, view.backend.reason], ['down', 'mirai-ws: closed (1006)']);
  assert.equal(view.account.state, 'unknown');
  assert.equal(await value('bot_watchdog_backend_up', '{backend="mirai"}'), 0);
  assert.equal(await value('bot_watchdog_account_online', '{backend="mirai"}'), undefined);
  assert.equal(await value('bot_watchdog_backend_outages_total', '{backend="mirai"}'), 1);
  assert.deepEqual(
    view.timeline.map((e) => e.title),
    ['restart', 'backend down', 'mirai-ws: unhealthy', 'heartbeat: unhealthy', 'QQ account online', 'backend up'],
  );

  handle.health.fact({ type: 'account-offline', probe: 'mirai-ws', evidence: { type: 'BotOfflineEventDropped' } });
  assert.equal(await value('bot_watchdog_account_online', '{backend="mirai"}'), 0);
  assert.deepEqual([live.view().account.state, live.view().account.detail], ['offline', 'BotOfflineEventDropped']);
  handle.health.fact({ type: 'ready', probe: 'mirai-ws' });
  assert.equal(live.view().account.state, 'offline', 'ready does not overrule an account known offline');
  handle.health.fact({ type: 'account-online', probe: 'mirai-ws', evidence: { type: 'BotOnlineEvent' } });
  assert.equal(await value('bot_watchdog_account_online', '{backend="mirai"}'), 1);
});

test('probe verdicts and backend-down restarts count no outage by themselves: only the backend\'s facts do (nothing counted twice)', async () => {
  const { handle, live, value } = setup('onebot');
  handle.health.report({ probe: 'onebot-ws', verdict: 'unhealthy', reason: 'x', latencyMs: 0});
  handle.events.emit('restart', { reason: 'backend-down', attempt: 0, delayMs: 0 });
  assert.equal(await value('bot_watchdog_backend_outages_total', '{backend="onebot"}'), 0);
  assert.equal(live.view().backend.state, 'unknown');
  handle.health.fact({ type: 'down', probe: 'onebot-ws', evidence: { probe: 'onebot-ws', lastReason: 'x' } });
  assert.equal(await value('bot_watchdog_backend_outages_total', '{backend="onebot"}'), 1);
  assert.equal(await value('bot_watchdog_backend_up', '{backend="onebot"}'), 0);
  assert.equal(live.view().backend.reason, 'onebot-ws: x');
});

test('without a backend there are no backend or account series', async () => {
  const { metrics } = setup('none');
  const text = await metrics.render();
  assert.doesNotMatch(text, /backend_up|account_online|backend_outages/);
});

test('latency samples per probe are bounded; the timeline too', () => {
  const { handle, live } = setup();
  for (let i = 0; i < 100; i++) handle.health.report({ probe: 'link', verdict: i % 2 ? 'healthy' : 'unhealthy', reason: '', latencyMs: i });
  const samples = live.view().latency.link ?? [];
  assert.equal(samples.length, 60);
  assert.deepEqual(samples.at(-1), { at: handle.clock.wallNow(), ms: 99, verdict: 'healthy' });
  assert.equal(live.view().timeline.length, 100);
  for (let i = 0; i < 300; i++) handle.health.report({ probe: 'link', verdict: i % 2 ? 'healthy' : 'unhealthy', reason: '', latencyMs: i });
  assert.equal(live.view().timeline.length, 200);
});

test('a subscriber that throws never reaches the supervisor', () => {
  const { handle, live } = setup();
  live.subscribe(() => {
    throw new Error('bad subscriber');
  });
  assert.doesNotThrow(() => handle.spawn());
});

test('healthOf: running with every probe healthy; else a short reason', () => {
  const state = sampleState();
  const running = { ...state, state: 'running' as const, probes: {} };
  assert.deepEqual([healthOf(running).healthy, healthOf(running).pid], [true, 4343]);
  const stopped = healthOf({ ...running, state: 'backoff', bot: null });
  assert.deepEqual([stopped.healthy, stopped.reason], [false, 'the bot is not running (watchdog backoff)']);
  const probe = (verdict: 'healthy' | 'unhealthy' | 'misconfigured' | 'unknown', reason?: string) => ({ verdict, ...(reason ? { reason } : {}), at: 'x', since: 'x' });
  const mixed = healthOf({ ...running, probes: { a: probe('healthy'), b: probe('unknown', 'starting'), c: probe('misconfigured', 'wrong key') } });
  assert.deepEqual([mixed.healthy, mixed.reason], [false, 'b unknown: starting; c misconfigured: wrong key']);
  assert.deepEqual(mixed.probes, { a: 'healthy', b: 'unknown', c: 'misconfigured' });
});

test('RateLimit: a burst, then the refill rate', () => {
  let t = 0;
  const limit = new RateLimit(2, 3, () => t);
  assert.deepEqual([limit.take(), limit.take(), limit.take(), limit.take()], [true, true, true, false]);
  t = 499;
  assert.equal(limit.take(), false);
  t = 501;
  assert.equal(limit.take(), true);
  t = 100_000;
  assert.deepEqual([limit.take(), limit.take(), limit.take(), limit.take()], [true, true, true, false]);
});

test('the timeline shows probe failures and recoveries, not "starting" after each spawn', () => {
  const { handle, live } = setup();
  const report = (verdict: 'healthy' | 'unhealthy' | 'misconfigured' | 'unknown', reason: string) =>
    handle.health.report({ probe: 'heartbeat', verdict, reason, latencyMs: 0});
  report('unknown', 'starting (startup.grace)');
  report('healthy', 'file is 1s old');
  report('unhealthy', 'file is 95s old');
  report('unhealthy', 'file is 96s old');
  report('unknown', 'starting (startup.grace)');
  report('healthy', 'file is 0s old');
  report('misconfigured', 'is a directory');
  report('healthy', 'file is 0s old');
  assert.deepEqual(
    live.view().timeline.map((entry) => `${entry.title} (${entry.detail})`).reverse(),
    ['heartbeat: unhealthy (file is 95s old)', 'heartbeat: misconfigured (is a directory)', 'heartbeat: healthy (file is 0s old)'],
  );
});
