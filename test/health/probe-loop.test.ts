import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProbeLoop } from '../../src/health/probe-loop.js';
import type { Probe, ProbeResult, Verdict } from '../../src/probes/probe.js';
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


/** A probe that answers from a script of verdicts (the last one repeats), or hangs on 'hang'. */
function scripted(verdicts: (Verdict | 'hang')[], clock: FakeClock): Probe & { calls: number[] } {
  const probe = {
    name: 'fake',
    calls: [] as number[],
    check(signal?: AbortSignal): Promise<ProbeResult> {
      const verdict = verdicts[Math.min(probe.calls.length, verdicts.length - 1)] as Verdict | 'hang';
      probe.calls.push(clock.now());
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

test('checks at once, then `interval` after each check ends; hands on every result in order; stop() ends it', async () => {
  const clock = new FakeClock();
  const results: string[] = [];
  const probe = scripted(['healthy', 'unhealthy', 'misconfigured', 'healthy'], clock);
  const loop = new ProbeLoop({ probe, interval: 1000, timeout: 500, clock, onResult: (r) => results.push(r.verdict) });
  loop.start();
  await clock.advance(0);
  await clock.advance(3000);
  assert.deepEqual(probe.calls, [0, 1000, 2000, 3000]);
  assert.deepEqual(results, ['healthy', 'unhealthy', 'misconfigured', 'healthy']);
  loop.stop();
  await clock.advance(5000);
  assert.equal(probe.calls.length, 4);
  assert.equal(clock.pending(), 0, 'no timer left behind');
});

test('a check that does not answer within timeout is aborted and unhealthy (its own answer to the abort), and the schedule goes on', async () => {
  const clock = new FakeClock();
  const results: ProbeResult[] = [];
  const loop = new ProbeLoop({ probe: scripted(['hang'], clock), interval: 1000, timeout: 300, clock, onResult: (r) => results.push(r) });
  loop.start();
  await clock.advance(299);
  assert.equal(results.length, 0);
  await clock.advance(1);
  assert.equal(results[0]?.verdict, 'unhealthy');
  assert.equal(results[0]?.reason, 'aborted');
  await clock.advance(1300);
  assert.equal(results.length, 2);
  loop.stop();
});

test('a probe that throws is "probe error" (misconfigured: never a restart) and does not stop the loop', async () => {
  const clock = new FakeClock();
  const results: ProbeResult[] = [];
  const probe: Probe = { name: 'boom', check: () => Promise.reject(new Error('bug')) };
  const loop = new ProbeLoop({ probe, interval: 100, timeout: 50, clock, onResult: (r) => results.push(r) });
  loop.start();
  await clock.advance(250);
  loop.stop();
  assert.equal(results.length, 3, JSON.stringify(results));
  assert.ok(results.every((r) => r.verdict === 'misconfigured' && r.reason === 'probe error: bug'));
});

test('a check still running when the loop stops is dropped', async () => {
  const clock = new FakeClock();
  const results: ProbeResult[] = [];
  const loop = new ProbeLoop({ probe: scripted(['hang'], clock), interval: 100, timeout: 1000, clock, onResult: (r) => results.push(r) });
  loop.start();
  await clock.advance(10);
  loop.stop();
  await clock.advance(2000);
  assert.deepEqual(results, []);
});

test('checkNow: one check outside the schedule, which goes on; nothing before start', async () => {
  const clock = new FakeClock();
  const probe = new ManualProbe(clock);
  const loop = new ProbeLoop({ probe, interval: 1000, timeout: 5000, clock, onResult: () => {} });
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
