import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BotProbeRunner } from '../../src/bot-probes/bot-probe-runner.js';
import { botProbeRule } from '../../src/health/probe-rules.js';
import type { Probe, ProbeResult, Verdict } from '../../src/probes/probe.js';
import { FakeClock, flush } from '../helpers/fake-clock.js';
import { FakeHandle } from '../helpers/fake-handle.js';
import { memoryLogger } from '../helpers/log-sink.js';

/** A probe whose verdict the test sets; counts its checks. */
function settable(name = 'fake', initial: Verdict = 'unhealthy') {
  const state = { verdict: initial, details: { file: '/x', ageMs: 0, maxAgeMs: 1000 } as Record<string, unknown>, checks: 0 };
  const probe: Probe = {
    name,
    check: async (): Promise<ProbeResult> => {
      state.checks++;
      return { probe: name, verdict: state.verdict, reason: `it is ${state.verdict}`, latencyMs: 0, details: { ...state.details } };
    },
  };
  return { probe, state };
}

test('unhealthy during startup.grace is reported "unknown" and does not count; right after it, a restart with the evidence', async () => {
  const clock = new FakeClock(0);
  const log = memoryLogger();
  const handle = new FakeHandle(clock, log.logger, 1000);
  const { probe } = settable();
  const runner = new BotProbeRunner({
    name: 'fake', interval: 300, timeout: 100, clock: handle.clock,
    probeFor: () => probe, dueIn: () => 0,
  });
  handle.sink.setRule('fake', botProbeRule('heartbeat-stale'));
  await runner.start(handle);
  handle.spawn();
  await flush();
  await clock.advanceInSteps(990);
  assert.equal(handle.restarts.length, 0);
  const checks = handle.reports.filter((r) => r.verdict !== 'unknown');
  assert.equal(handle.reports[0]?.verdict, 'unknown', 'the run is announced to the sink at its spawn');
  assert.ok(checks.length >= 3, JSON.stringify(handle.reports));
  assert.ok(checks.every((r) => r.verdict === 'starting' && /^starting \(startup\.grace\): it is unhealthy$/.test(r.reason ?? '')));
  assert.equal(log.events('probe.failed').length, 0);
  await clock.advanceInSteps(20);
  assert.equal(handle.restarts.length, 1, 'checked again exactly when startup.grace ends, not at the next 300 ms tick');
  assert.ok((handle.restarts[0]?.at as number) < 1100, `at ${handle.restarts[0]?.at}`);
  assert.deepEqual(handle.restarts[0]?.reason, 'heartbeat-stale');
  assert.deepEqual(handle.restarts[0]?.evidence, { probe: 'fake', detail: 'it is unhealthy', file: '/x', ageMs: 0, maxAgeMs: 1000 });
  const failed = log.events('probe.failed');
  assert.equal(failed.length, 1);
  assert.equal(failed[0]?.file, '/x');
  assert.equal(handle.reports.at(-1)?.verdict, 'unhealthy');
  runner.stop();
});

test('a probe that will turn unhealthy before the next tick is checked again exactly then', async () => {
  const clock = new FakeClock(0);
  const handle = new FakeHandle(clock);
  const { probe, state } = settable('fake', 'healthy');
  const runner = new BotProbeRunner({
    name: 'fake', interval: 5000, timeout: 1000,
    clock: handle.clock, probeFor: () => probe, dueIn: () => 250,
  });
  handle.sink.setRule('fake', botProbeRule('heartbeat-stale'));
  await runner.start(handle);
  handle.spawn();
  await flush();
  state.verdict = 'unhealthy';
  await clock.advanceInSteps(300);
  assert.equal(handle.restarts.length, 1);
  assert.ok((handle.restarts[0]?.at as number) <= 260, `at ${handle.restarts[0]?.at}`);
  runner.stop();
});

test('armed on spawn, disarmed on exit; misconfigured never restarts; setup() false disables it', async () => {
  const clock = new FakeClock(0);
  const log = memoryLogger();
  const handle = new FakeHandle(clock, log.logger);
  const { probe, state } = settable('fake', 'healthy');
  const runner = new BotProbeRunner({
    name: 'fake', interval: 100, timeout: 50, clock: handle.clock, probeFor: () => probe,
  });
  handle.sink.setRule('fake', botProbeRule('link-lost'));
  await runner.start(handle);
  await clock.advanceInSteps(500);
  assert.equal(state.checks, 0, 'no bot, no checks');
  handle.spawn();
  await clock.advanceInSteps(500);
  const during = state.checks;
  assert.ok(during >= 5);
  handle.exit();
  await clock.advanceInSteps(500);
  assert.equal(state.checks, during, 'no checks between runs');
  state.verdict = 'misconfigured';
  handle.spawn();
  await clock.advanceInSteps(500);
  assert.equal(handle.restarts.length, 0);
  assert.equal(log.events('probe.misconfigured').length, 1);
  runner.stop();
  const checks = state.checks;
  await clock.advanceInSteps(500);
  assert.equal(state.checks, checks, 'stop() ends the checks');

  const off = settable();
  const disabled = new BotProbeRunner({
    name: 'off', interval: 100, timeout: 50, clock: handle.clock, setup: () => false, probeFor: () => off.probe,
  });
  handle.sink.setRule('off', botProbeRule('link-lost'));
  await disabled.start(handle);
  handle.spawn();
  await clock.advanceInSteps(300);
  assert.equal(off.state.checks, 0);
  disabled.stop();
});
