// The backend poll loop on virtual time: its schedule, its timeout, and stop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkWithin, PollLoop } from '../../src/backend/poll-loop.js';
import type { Probe, ProbeResult } from '../../src/probes/probe.js';
import { FakeClock, flush } from '../helpers/fake-clock.js';

/** A probe that answers when the test says so (or when aborted: unhealthy, as real probes do). */
class ManualProbe implements Probe {
  readonly name = 'tcp';
  readonly started: number[] = [];
  private pending: ((result: ProbeResult) => void) | undefined;

  constructor(private readonly clock: FakeClock) {}

  check(signal?: AbortSignal): Promise<ProbeResult> {
    this.started.push(this.clock.now());
    return new Promise((resolve) => {
      this.pending = resolve;
      signal?.addEventListener('abort', () => resolve({ probe: this.name, verdict: 'unhealthy', reason: 'aborted', latencyMs: 0 }), { once: true });
    });
  }

  answer(verdict: ProbeResult['verdict'] = 'healthy'): void {
    this.pending?.({ probe: this.name, verdict, reason: verdict, latencyMs: 1 });
    this.pending = undefined;
  }
}

test('the next check starts interval after the previous one ended', async () => {
  const clock = new FakeClock();
  const probe = new ManualProbe(clock);
  const results: [number, string][] = [];
  const loop = new PollLoop({ probe, interval: 1000, timeout: 5000, clock, onResult: (r) => results.push([clock.now(), r.verdict]) });
  loop.start();
  await flush();
  await clock.advance(300);
  probe.answer();
  await flush();
  await clock.advance(999);
  assert.deepEqual(probe.started, [0]);
  await clock.advance(1);
  assert.deepEqual(probe.started, [0, 1300]);
  probe.answer('unhealthy');
  await flush();
  assert.deepEqual(results, [[300, 'healthy'], [1300, 'unhealthy']]);
  loop.stop();
});

test('a check that overruns the timeout is unhealthy ("no answer within N ms") even when its late answer is healthy; a probe\'s own abort reason is kept', async () => {
  const clock = new FakeClock();
  const slow: Probe = { name: 'mirai-http', check: () => clock.sleep(10_000).then(() => ({ probe: 'mirai-http', verdict: 'healthy', reason: 'ok', latencyMs: 0 })) };
  const checking = checkWithin(slow, 500, clock);
  await clock.advance(500);
  assert.equal(clock.pending(), 1, 'the probe itself still runs (it ignores the signal)');
  await clock.advance(9500);
  assert.deepEqual(await checking, { result: { probe: 'mirai-http', verdict: 'unhealthy', reason: 'no answer within 500ms', latencyMs: 0 }, timedOut: true });

  const probe = new ManualProbe(clock);
  const aborted = checkWithin(probe, 500, clock);
  await clock.advance(500);
  assert.deepEqual((await aborted).result, { probe: 'tcp', verdict: 'unhealthy', reason: 'aborted', latencyMs: 0 }, 'the probe\'s own reason is kept');
});

test('a probe that throws is unhealthy, and the loop goes on', async () => {
  const clock = new FakeClock();
  let calls = 0;
  const broken: Probe = { name: 'http', check: () => ((calls += 1), Promise.reject(new Error('bug'))) };
  const results: string[] = [];
  const loop = new PollLoop({ probe: broken, interval: 100, timeout: 50, clock, onResult: (r) => results.push(`${r.verdict}: ${r.reason}`) });
  loop.start();
  await flush();
  await clock.advance(100);
  assert.deepEqual(results, ['unhealthy: probe error: bug', 'unhealthy: probe error: bug']);
  assert.equal(calls, 2);
  loop.stop();
});

test('stop: the check in flight is aborted and its result dropped; no timer is left', async () => {
  const clock = new FakeClock();
  const probe = new ManualProbe(clock);
  const results: string[] = [];
  const loop = new PollLoop({ probe, interval: 1000, timeout: 5000, clock, onResult: (r) => results.push(r.verdict) });
  loop.start();
  await flush();
  loop.stop();
  await flush();
  assert.deepEqual(results, []);
  assert.equal(clock.pending(), 0);
  await clock.advance(10_000);
  assert.deepEqual(probe.started, [0]);
});

test('checkNow: one check outside the schedule, which goes on; nothing before start', async () => {
  const clock = new FakeClock();
  const probe = new ManualProbe(clock);
  const loop = new PollLoop({ probe, interval: 1000, timeout: 5000, clock, onResult: () => {} });
  await loop.checkNow();
  assert.deepEqual(probe.started, [], 'not started: nothing to check for');
  loop.start();
  await flush();
  probe.answer();
  await flush();
  await clock.advance(400);
  const now = loop.checkNow();
  probe.answer();
  await now;
  await clock.advance(600);
  assert.deepEqual(probe.started, [0, 400, 1000]);
  loop.stop();
});
