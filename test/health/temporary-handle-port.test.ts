// TEMPORARY with src/health/temporary-handle-port.ts: the transition logging moves to the health sink.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TemporaryHandlePort } from '../../src/health/temporary-handle-port.js';
import type { HealthResult } from '../../src/health/types.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeHandle } from '../helpers/fake-handle.js';
import { memoryLogger } from '../helpers/log-sink.js';

function harness() {
  const clock = new FakeClock();
  const log = memoryLogger();
  const handle = new FakeHandle(() => clock.now());
  const port = new TemporaryHandlePort({ logger: log.logger, clock, failureThreshold: (probe) => (probe === 'mirai-http' ? 3 : 1) });
  port.start(handle);
  return { clock, log, handle, port };
}

const result = (probe: string, verdict: HealthResult['verdict'], reason: string = verdict, evidence?: Record<string, unknown>): HealthResult => ({
  probe,
  verdict,
  reason,
  latencyMs: 7,
  ...(evidence ? { evidence } : {}),
});

test('the poll: probe.failed after failureThreshold unhealthy results in a row, once; probe.recovered once', () => {
  const h = harness();
  h.port.report(result('mirai-http', 'healthy'));
  h.port.report(result('mirai-http', 'unhealthy', 'refused'));
  h.port.report(result('mirai-http', 'unhealthy', 'refused'));
  h.port.report(result('mirai-http', 'healthy'));
  h.port.report(result('mirai-http', 'unhealthy', 'refused'));
  h.port.report(result('mirai-http', 'unhealthy', 'refused'));
  assert.equal(h.log.events('probe.failed').length, 0, 'a healthy answer in between starts the count again');
  h.port.report(result('mirai-http', 'unhealthy', 'GET /about: refused', { version: '2.9' }));
  h.port.report(result('mirai-http', 'unhealthy', 'refused'));
  const failed = h.log.events('probe.failed');
  assert.equal(failed.length, 1);
  assert.equal(failed[0]?.level, 'warn');
  assert.deepEqual(
    { probe: failed[0]?.probe, reason: failed[0]?.reason, failures: failed[0]?.failures, version: failed[0]?.version, latencyMs: failed[0]?.latencyMs },
    { probe: 'mirai-http', reason: 'GET /about: refused', failures: 3, version: '2.9', latencyMs: 7 },
  );
  h.port.report(result('mirai-http', 'healthy', 'ok'));
  h.port.report(result('mirai-http', 'healthy', 'ok'));
  assert.equal(h.log.events('probe.recovered').length, 1);
  assert.equal(h.log.events('probe.recovered')[0]?.probe, 'mirai-http');
});

test('the link: probe.failed at once; a drop being confirmed (unknown) counts for nothing', () => {
  const h = harness();
  h.port.report(result('mirai-ws', 'healthy'));
  h.port.report(result('mirai-ws', 'unknown', 'dropped; reconnecting to confirm'));
  assert.equal(h.log.records.length, 0);
  h.port.report(result('mirai-ws', 'unhealthy', 'dropped (1006)', { reconnect: 'refused' }));
  assert.deepEqual(h.log.events('probe.failed').map((r) => [r.probe, r.reason, r.reconnect]), [['mirai-ws', 'dropped (1006)', 'refused']]);
  h.port.report(result('mirai-ws', 'unhealthy', 'refused'));
  h.port.report(result('mirai-ws', 'unknown'));
  h.port.report(result('mirai-ws', 'healthy', 'linked'));
  assert.equal(h.log.events('probe.failed').length, 1);
  assert.equal(h.log.events('probe.recovered').length, 1);
});

test('misconfigured: one error per distinct reason, again after the probe answered otherwise; never a failure', () => {
  const h = harness();
  for (let i = 0; i < 5; i++) h.port.report(result('onebot-ws', 'misconfigured', 'HTTP 403'));
  assert.equal(h.log.events('probe.misconfigured').length, 1);
  assert.equal(h.log.events('probe.misconfigured')[0]?.level, 'error');
  h.port.report(result('onebot-http', 'misconfigured', 'HTTP 403'));
  h.port.report(result('onebot-ws', 'misconfigured', 'HTTP 401'));
  assert.deepEqual(h.log.events('probe.misconfigured').map((r) => `${r.probe} ${r.reason}`), ['onebot-ws HTTP 403', 'onebot-http HTTP 403', 'onebot-ws HTTP 401']);
  h.port.report(result('onebot-ws', 'healthy'));
  h.port.report(result('onebot-ws', 'misconfigured', 'HTTP 401'));
  assert.equal(h.log.events('probe.misconfigured').length, 4);
  assert.equal(h.log.events('probe.failed').length, 0);
});

test('results, restarts and the spawn time go to the supervisor handle', async () => {
  const h = harness();
  await h.clock.advance(1500);
  h.port.report(result('tcp', 'starting', 'grace'));
  h.port.report(result('tcp', 'healthy', 'connected'));
  assert.deepEqual(h.handle.reports, [
    { probe: 'tcp', verdict: 'unknown', reason: 'grace', latencyMs: 7, at: h.clock.wallNow() },
    { probe: 'tcp', verdict: 'healthy', reason: 'connected', latencyMs: 7, at: h.clock.wallNow() },
  ]);
  assert.equal(h.port.botSpawnedAt(), undefined);
  assert.equal(h.port.restart('backend-down', { probe: 'tcp' }), false, 'no bot runs');
  const child = h.handle.spawn();
  assert.equal(h.port.botSpawnedAt(), child.spawnedAt);
  assert.equal(h.port.restart('account-relogin', { probe: 'mirai-ws', type: 'BotReloginEvent' }), true);
  assert.deepEqual(h.handle.restarts.map((r) => [r.reason, r.evidence]), [['account-relogin', { probe: 'mirai-ws', type: 'BotReloginEvent' }]]);
  h.port.stop();
  assert.equal(h.port.restart('backend-down', { probe: 'tcp' }), false, 'stopped: no handle');
});
