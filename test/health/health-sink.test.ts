import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HealthSink } from '../../src/health/health-sink.js';
import { backendRuleOf, POLICIES } from '../../src/backend/policy.js';
import { botProbeRule, DEFAULT_RULE } from '../../src/health/probe-rules.js';
import type { HealthResult, HealthVerdict } from '../../src/health/types.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeHandle } from '../helpers/fake-handle.js';
import { memoryLogger } from '../helpers/log-sink.js';

const r = (verdict: HealthVerdict, reason: string = verdict, extra: Partial<HealthResult> = {}): HealthResult => ({ probe: 'p', verdict, reason, latencyMs: 1, ...extra });

function setup(startupGrace = 0) {
  const log = memoryLogger();
  const clock = new FakeClock();
  const handle = new FakeHandle(clock, log.logger, startupGrace);
  return { log, clock, handle, sink: handle.sink };
}

test('failed after `threshold` unhealthy results in a row, recovered once; transitions are logged, not ticks', () => {
  const { log, sink } = setup();
  sink.setRule('p', { ...DEFAULT_RULE, threshold: 3 });
  const transitions: (string | undefined)[] = [];
  sink.subscribe((u) => u.kind === 'probe' && transitions.push(u.transition));
  for (const v of ['healthy', 'unhealthy', 'unhealthy', 'healthy', 'unhealthy', 'unhealthy', 'unhealthy', 'unhealthy', 'healthy'] as const) sink.report(r(v));
  assert.deepEqual(transitions, [undefined, undefined, undefined, undefined, undefined, undefined, 'failed', undefined, 'recovered']);
  assert.equal(log.events('probe.failed').length, 1);
  assert.equal(log.events('probe.failed')[0]?.failures, 3);
  assert.equal(log.events('probe.recovered').length, 1);
  assert.equal(sink.isFailed('p'), false);
});

test('misconfigured: logged once per distinct reason, never a failure nor a restart; `unknown` changes nothing', () => {
  const { log, sink, handle } = setup();
  sink.setRule('p', botProbeRule('link-lost'));
  handle.spawn();
  for (const reason of ['bad key', 'bad key', 'bad key', 'no such file', 'no such file']) sink.report(r('misconfigured', reason));
  sink.report(r('unknown'));
  assert.deepEqual(log.events('probe.misconfigured').map((e) => e.reason), ['bad key', 'no such file']);
  assert.equal(log.events('probe.failed').length, 0);
  assert.equal(handle.restarts.length, 0);
  sink.report(r('healthy'));
  sink.report(r('misconfigured', 'bad key'));
  assert.equal(log.events('probe.misconfigured').length, 3, 'after a good result, the same mistake is news again');
});

test('a bot probe restarts with its reason and the evidence; within startup.grace it is `starting` and does not count', async () => {
  const { log, sink, handle, clock } = setup(1000);
  sink.setRule('p', botProbeRule('heartbeat-stale'));
  const seen: HealthVerdict[] = [];
  sink.subscribe((u) => u.kind === 'probe' && seen.push(u.result.verdict));
  handle.spawn();
  sink.report(r('unhealthy', 'file is 5s old', { evidence: { ageMs: 5000 } }));
  assert.equal(handle.restarts.length, 0);
  assert.equal(handle.reports.at(-1)?.reason, 'starting (startup.grace): file is 5s old');
  await clock.advance(1000);
  sink.report(r('unhealthy', 'file is 6s old', { evidence: { ageMs: 6000 } }));
  assert.deepEqual(seen, ['starting', 'unhealthy']);
  assert.deepEqual(handle.restarts.map((x) => [x.reason, x.evidence]), [['heartbeat-stale', { probe: 'p', detail: 'file is 6s old', ageMs: 6000 }]]);
  assert.equal(log.events('probe.failed')[0]?.ageMs, 6000);
  // A new run starts the probe's state over: its next failure is a new one.
  handle.exit();
  handle.spawn();
  await clock.advance(1000);
  sink.report(r('unhealthy'));
  assert.equal(handle.restarts.length, 2);
  assert.equal(log.events('probe.recovered').length, 0);
});

test('a rule without grace counts at once; a backend probe never restarts; the backend\'s facts restart by its rule', () => {
  const { sink, handle } = setup(60_000);
  sink.setRule('pattern', botProbeRule('output-match', false));
  handle.spawn();
  sink.report(r('unhealthy', 'matched', { probe: 'pattern' }));
  assert.deepEqual(handle.restarts.map((x) => x.reason), ['output-match']);
  sink.report(r('unhealthy', 'refused', { probe: 'mirai-http' }));
  assert.equal(handle.restarts.length, 1);
  const down = { type: 'down' as const, probe: 'mirai-ws', evidence: { probe: 'mirai-ws', lastReason: 'closed' } };
  sink.fact(down);
  assert.equal(handle.restarts.length, 1, 'reported only without a backend rule');
  sink.setBackendRule(backendRuleOf(POLICIES.mirai));
  sink.fact(down);
  assert.deepEqual(handle.restarts.at(-1)?.reason, 'backend-down');
  assert.deepEqual(handle.restarts.at(-1)?.evidence, { probe: 'mirai-ws', lastReason: 'closed' });
  handle.exit();
  sink.fact(down);
  assert.equal(handle.restarts.length, 2, 'no bot, no restart');
});

test('the backend policy table in the sink: blips restart a bot that ran before the drop; relogins only for mirai; NapCat never', async () => {
  const { sink, handle, clock } = setup();
  const blip = (lostAt: number) => ({ type: 'blip' as const, probe: 'mirai-ws', lostAt, evidence: { probe: 'mirai-ws', lastReason: 'closed' } });
  const relogin = { type: 'account-online' as const, probe: 'mirai-ws', evidence: { probe: 'mirai-ws', type: 'BotReloginEvent' } };
  sink.setBackendRule(backendRuleOf(POLICIES.mirai));
  handle.spawn(); // at 0
  await clock.advance(100);
  sink.fact(blip(0));
  assert.equal(handle.restarts.length, 0, 'a bot started at the drop lost nothing');
  sink.fact(blip(50));
  assert.deepEqual(handle.restarts.map((x) => x.reason), ['backend-down']);
  sink.fact(relogin);
  assert.deepEqual(handle.restarts.map((x) => x.reason), ['backend-down', 'account-relogin']);
  sink.setBackendRule(backendRuleOf(POLICIES.onebot));
  sink.fact(relogin);
  assert.equal(handle.restarts.length, 2, 'OneBot: an account back is no relogin restart');
  sink.setBackendRule(backendRuleOf(POLICIES['onebot-reverse']));
  sink.fact(blip(50));
  sink.fact({ type: 'down', probe: 'onebot-reverse', evidence: { probe: 'onebot-reverse', lastReason: 'no heartbeat' } });
  assert.equal(handle.restarts.length, 2, 'NapCat reconnects to the bot by itself: never a restart');
  assert.deepEqual(
    handle.updates.filter((u) => u.kind === 'backend').map((u) => (u.kind === 'backend' ? u.fact.type : '')),
    ['blip', 'blip', 'account-online', 'account-online', 'blip', 'down'],
    'every fact is published to subscribers',
  );
});

test('planned restarts: the schedule reports a fact, the sink restarts a running bot with reason `scheduled`', () => {
  const { sink, handle } = setup();
  sink.fact({ type: 'schedule-due', due: '2024-05-01T04:00:00.000Z' });
  assert.equal(handle.restarts.length, 0);
  handle.spawn();
  sink.fact({ type: 'schedule-due', due: '2024-05-01T04:00:00.000Z' });
  assert.deepEqual(handle.restarts.map((x) => [x.reason, x.evidence]), [['scheduled', { due: '2024-05-01T04:00:00.000Z' }]]);
});

test('a plug-in\'s handle reports and listens, and cannot restart nor set rules', () => {
  const { handle } = setup();
  const port = handle.health as unknown as Record<string, unknown>;
  assert.deepEqual(Object.keys(port).sort(), ['fact', 'graceEndsAt', 'report', 'subscribe']);
});

test('startup grace ends once every grace subject proved the bot up: a fault 5 s after that counts at once', async () => {
  const { sink, handle, clock, log } = setup(60_000);
  sink.setRule('heartbeat', { ...botProbeRule('heartbeat-stale'), upWhen: (result, spawnedAt, now) => now - Number(result.evidence?.['ageMs']) >= spawnedAt });
  sink.setRule('link', { ...botProbeRule('link-lost'), upWhen: (result) => result.evidence?.['remote'] !== undefined });
  handle.spawn();
  assert.equal(sink.graceEndsAt(), 60_000);
  sink.report({ probe: 'link', verdict: 'unknown', reason: 'pending', latencyMs: 0 });
  sink.report({ probe: 'heartbeat', verdict: 'unknown', reason: 'pending', latencyMs: 0 });
  await clock.advance(2000);
  // A file left by the last run is fresh but proves nothing; a link still within its own grace neither.
  sink.report({ probe: 'heartbeat', verdict: 'healthy', reason: 'fresh', latencyMs: 0, evidence: { ageMs: 3000 } });
  sink.report({ probe: 'link', verdict: 'healthy', reason: 'no connection now', latencyMs: 0, evidence: {} });
  assert.equal(sink.graceEndsAt(), 60_000);
  sink.report({ probe: 'heartbeat', verdict: 'healthy', reason: 'fresh', latencyMs: 0, evidence: { ageMs: 500 } });
  assert.equal(sink.graceEndsAt(), 60_000, 'the link has not been seen yet');
  sink.report({ probe: 'link', verdict: 'healthy', reason: 'linked', latencyMs: 0, evidence: { remote: '127.0.0.1:5000' } });
  assert.equal(sink.graceEndsAt(), undefined, 'the bot is up: the grace is over');
  assert.deepEqual(handle.updates.filter((u) => u.kind === 'grace-ended').map((u) => (u.kind === 'grace-ended' ? u.early : undefined)), [true]);
  await clock.advance(5000);
  sink.report({ probe: 'link', verdict: 'unhealthy', reason: 'no connection for 3s', latencyMs: 0 });
  assert.deepEqual(handle.restarts.map((x) => [x.reason, x.at]), [['link-lost', 7000]]);
  assert.equal(log.events('probe.failed').length, 1);
  // The next run has its grace again, bounded by startup.grace for a bot that never gets up.
  handle.exit();
  handle.spawn();
  sink.report({ probe: 'link', verdict: 'unhealthy', reason: 'no connection', latencyMs: 0 });
  assert.equal(handle.reports.at(-1)?.verdict, 'starting');
  await clock.advance(60_000);
  assert.equal(sink.graceEndsAt(), undefined);
  assert.deepEqual(handle.updates.filter((u) => u.kind === 'grace-ended').map((u) => (u.kind === 'grace-ended' ? u.early : undefined)), [true, false]);
  sink.report({ probe: 'link', verdict: 'unhealthy', reason: 'no connection', latencyMs: 0 });
  assert.equal(handle.restarts.length, 2);
});

test('a failure of a run that is already being stopped is not logged as a new failure', () => {
  const { log, sink } = setup();
  sink.setRule('p', botProbeRule('output-silent'));
  // FakeHandle: no bot running = the supervisor is not 'running'.
  sink.report(r('unhealthy'));
  assert.equal(log.events('probe.failed').length, 0);
  assert.equal(sink.isFailed('p'), false);
});

test('a subscriber that throws is logged (monitor.error) and the others still get the update', () => {
  const { log, sink } = setup();
  const got: string[] = [];
  sink.subscribe(() => {
    throw new Error('broken metrics');
  });
  sink.subscribe((u) => u.kind === 'probe' && got.push(u.result.verdict));
  sink.report(r('healthy'));
  assert.deepEqual(got, ['healthy']);
  assert.equal(log.events('monitor.error').length, 1);
});

test('without a supervisor attached it records and logs, and asks for nothing', () => {
  const log = memoryLogger();
  const sink = new HealthSink({ log: log.logger, clock: new FakeClock(), startupGrace: 0, rules: { p: botProbeRule('link-lost') } });
  sink.report(r('unhealthy'));
  assert.equal(log.events('probe.failed').length, 1);
  sink.fact({ type: 'schedule-due', due: 'now' });
});
