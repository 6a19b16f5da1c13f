import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HealthSink, type HealthUpdate } from '../../src/health/health-sink.js';
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
  return { log, clock, handle, sink: handle.health };
}

test('failed after `threshold` unhealthy results in a row, recovered once; transitions are logged, not ticks', () => {
  const { log, sink } = setup();
  sink.setRule('p', { ...DEFAULT_RULE, threshold: 3 });
  const transitions: HealthUpdate['transition'][] = [];
  sink.subscribe((u) => transitions.push(u.transition));
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
  sink.subscribe((u) => seen.push(u.result.verdict));
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

test('a rule without grace counts at once; a backend probe never restarts; the backend port asks for its own restarts', () => {
  const { sink, handle } = setup(60_000);
  sink.setRule('pattern', botProbeRule('output-match', false));
  handle.spawn();
  sink.report(r('unhealthy', 'matched', { probe: 'pattern' }));
  assert.deepEqual(handle.restarts.map((x) => x.reason), ['output-match']);
  sink.report(r('unhealthy', 'refused', { probe: 'mirai-http' }));
  assert.equal(handle.restarts.length, 1);
  const port = sink.backendPort();
  assert.equal(port.botSpawnedAt(), handle.current()?.spawnedAt);
  assert.equal(port.restart('backend-down', { probe: 'mirai-ws', lastReason: 'closed' }), true);
  assert.deepEqual(handle.restarts.at(-1)?.reason, 'backend-down');
  handle.exit();
  assert.equal(port.restart('backend-down', {}), false, 'no bot, no restart');
  assert.equal(port.botSpawnedAt(), undefined);
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
  sink.subscribe((u) => got.push(u.result.verdict));
  sink.report(r('healthy'));
  assert.deepEqual(got, ['healthy']);
  assert.equal(log.events('monitor.error').length, 1);
});

test('without a supervisor attached it records and logs, and asks for nothing', () => {
  const log = memoryLogger();
  const sink = new HealthSink({ log: log.logger, clock: new FakeClock(), startupGrace: 0, rules: { p: botProbeRule('link-lost') } });
  sink.report(r('unhealthy'));
  assert.equal(log.events('probe.failed').length, 1);
  assert.equal(sink.restart('link-lost', {}), false);
});
