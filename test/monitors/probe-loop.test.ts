import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { ProbeLoop } from '../../src/monitors/probe-loop.js';
import type { Probe, ProbeResult, Verdict } from '../../src/probes/probe.js';
import { flush } from '../helpers/fake-clock.js';
import { memoryLogger } from '../helpers/log-sink.js';

/** A probe that answers from a script of verdicts (the last one repeats), or hangs on 'hang'. */
function scripted(verdicts: (Verdict | 'hang')[]): Probe & { calls: number } {
  const probe = {
    name: 'fake',
    calls: 0,
    check(signal?: AbortSignal): Promise<ProbeResult> {
      const verdict = verdicts[Math.min(probe.calls, verdicts.length - 1)] as Verdict | 'hang';
      probe.calls += 1;
      if (verdict === 'hang') {
        return new Promise((resolve) =>
          signal?.addEventListener('abort', () => resolve({ probe: 'fake', verdict: 'unhealthy', reason: 'aborted', latencyMs: 0 })),
        );
      }
      return Promise.resolve({ probe: 'fake', verdict, reason: verdict === 'healthy' ? 'ok' : `bad ${verdict}`, latencyMs: 1 });
    },
  };
  return probe;
}

test('failed after failureThreshold unhealthy checks in a row, recovered once, transitions logged once', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const log = memoryLogger();
  const failed: number[] = [];
  const recovered: string[] = [];
  const probe = scripted(['healthy', 'unhealthy', 'unhealthy', 'healthy', 'unhealthy', 'unhealthy', 'unhealthy', 'unhealthy', 'healthy']);
  const loop = new ProbeLoop({
    probe,
    interval: 1000,
    timeout: 500,
    failureThreshold: 3,
    logger: log.logger,
    onFailed: (_r, n) => failed.push(n),
    onRecovered: (r) => recovered.push(r.reason),
  });
  loop.start();
  for (let i = 0; i < 9; i++) {
    await flush();
    t.mock.timers.tick(1000);
  }
  await flush();
  loop.stop();
  assert.equal(probe.calls, 10);
  assert.deepEqual(failed, [3], 'two failures then a success reset the count; the second run fails at the third');
  assert.deepEqual(recovered, ['ok']);
  assert.equal(log.events('probe.failed').length, 1);
  assert.equal(log.events('probe.recovered').length, 1);
});

test('a check that does not answer within timeout is unhealthy', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const log = memoryLogger();
  const results: ProbeResult[] = [];
  const loop = new ProbeLoop({ probe: scripted(['hang']), interval: 1000, timeout: 300, failureThreshold: 1, logger: log.logger, onResult: (r) => results.push(r) });
  loop.start();
  await flush();
  assert.equal(results.length, 0);
  t.mock.timers.tick(299);
  await flush();
  assert.equal(results.length, 0);
  t.mock.timers.tick(1);
  await flush();
  assert.equal(results[0]?.verdict, 'unhealthy');
  assert.equal(log.events('probe.failed').length, 1);
  loop.stop();
});

test('misconfigured is logged once per reason and is never a failure', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const log = memoryLogger();
  const onFailed = mock.fn();
  const loop = new ProbeLoop({ probe: scripted(['misconfigured']), interval: 100, timeout: 50, failureThreshold: 1, logger: log.logger, onFailed });
  loop.start();
  for (let i = 0; i < 5; i++) {
    await flush();
    t.mock.timers.tick(100);
  }
  loop.stop();
  assert.equal(log.events('probe.misconfigured').length, 1);
  assert.equal(onFailed.mock.callCount(), 0);
  assert.equal(log.events('probe.failed').length, 0);
});

test('a probe that throws does not stop the loop', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const log = memoryLogger();
  let calls = 0;
  const probe: Probe = { name: 'boom', check: () => { calls += 1; return Promise.reject(new Error('bug')); } };
  const loop = new ProbeLoop({ probe, interval: 100, timeout: 50, failureThreshold: 2, logger: log.logger });
  loop.start();
  for (let i = 0; i < 3; i++) {
    await flush();
    t.mock.timers.tick(100);
  }
  loop.stop();
  assert.ok(calls >= 3);
  assert.match(String(log.events('probe.failed')[0]?.reason), /probe error: bug/);
});
