import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkOnce } from '../../src/health/check-once.js';
import type { Probe, ProbeResult } from '../../src/probes/probe.js';
import { FakeClock } from '../helpers/fake-clock.js';

const answering = (result: Omit<ProbeResult, 'probe'>): Probe => ({ name: 'p', check: async () => ({ probe: 'p', ...result }) });

test('an answer within the timeout is kept as it is', async () => {
  const clock = new FakeClock();
  const result = await checkOnce(answering({ verdict: 'healthy', reason: 'ok', latencyMs: 3 }), 1000, clock);
  assert.deepEqual(result, { probe: 'p', verdict: 'healthy', reason: 'ok', latencyMs: 3 });
});

test('a probe that throws is misconfigured "probe error" (the same in run and check): never a restart', async () => {
  const clock = new FakeClock();
  const probe: Probe = { name: 'p', check: () => Promise.reject(new Error('bug in the probe')) };
  const result = await checkOnce(probe, 1000, clock);
  assert.equal(result.verdict, 'misconfigured');
  assert.equal(result.reason, 'probe error: bug in the probe');
});

test('a probe that ignores the abort is unhealthy "no answer within …" shortly after the timeout', async () => {
  const clock = new FakeClock();
  const probe: Probe = { name: 'p', check: () => new Promise(() => {}) };
  let result: ProbeResult | undefined;
  void checkOnce(probe, 2000, clock).then((r) => (result = r));
  await clock.advance(2000);
  assert.equal(result, undefined, 'it gets a little grace to answer the abort itself');
  await clock.advance(250);
  assert.deepEqual(result, { probe: 'p', verdict: 'unhealthy', reason: 'no answer within 2s', latencyMs: 2250 });
  assert.equal(clock.pending(), 0);
});

test('a healthy answer that only came because of the abort is unhealthy', async () => {
  const clock = new FakeClock();
  const probe: Probe = {
    name: 'p',
    check: (signal) => new Promise((resolve) => signal?.addEventListener('abort', () => resolve({ probe: 'p', verdict: 'healthy', reason: 'ok', latencyMs: 0 }))),
  };
  const pending = checkOnce(probe, 500, clock);
  await clock.advance(500);
  const result = await pending;
  assert.equal(result.verdict, 'unhealthy');
  assert.equal(result.reason, 'no answer within 500ms');
});
