import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readMemory } from '../../src/check/check-memory.js';
import type { ActionResult } from '../../src/check/on-unhealthy.js';
import { runCheck, type CheckOptions } from '../../src/check/run-check.js';
import type { Probe, ProbeResult, Verdict } from '../../src/probes/probe.js';
import { systemClock } from '../../src/clock/clock.js';

const fixed = (name: string, verdict: Verdict, reason = `${name} says ${verdict}`): Probe => ({
  name,
  check: async () => ({ probe: name, verdict, reason, latencyMs: 1 }),
});

const base: CheckOptions = { timeoutMs: 5000, failures: 1, cooldownMs: 600_000, actionTimeoutMs: 10_000 };

test('the verdicts fold into the status: any unhealthy → 1, else any misconfigured → 3, else 0', async () => {
  const cases: [Verdict[], string, number][] = [
    [['healthy', 'healthy'], 'healthy', 0],
    [['healthy', 'unhealthy'], 'unhealthy', 1],
    [['misconfigured', 'healthy'], 'cannot-check', 3],
    [['misconfigured', 'unhealthy'], 'unhealthy', 1],
  ];
  for (const [verdicts, status, exitCode] of cases) {
    const report = await runCheck(verdicts.map((v, i) => fixed(`p${i}`, v)), base, { clock: systemClock });
    assert.equal(report.status, status, verdicts.join());
    assert.equal(report.verdict, status);
    assert.equal(report.exitCode, exitCode);
    assert.deepEqual(report.probes.map((p) => p.verdict), verdicts);
    assert.deepEqual(report.errors, []);
  }
});

test('probes run at once; one that does not answer in time is unhealthy, one that throws could not check', async () => {
  let aborted = false;
  const hanging: Probe = {
    name: 'hang',
    check: (signal) =>
      new Promise<ProbeResult>(() => {
        signal?.addEventListener('abort', () => (aborted = true));
      }),
  };
  const throwing: Probe = { name: 'boom', check: async () => { throw new Error('bug'); } };
  const report = await runCheck([hanging, throwing, fixed('ok', 'healthy')], { ...base, timeoutMs: 100 }, { clock: systemClock });
  assert.equal(aborted, true, 'the probe was told to stop');
  assert.deepEqual(report.probes.map((p) => [p.probe, p.verdict]), [['hang', 'unhealthy'], ['boom', 'misconfigured'], ['ok', 'healthy']]);
  assert.match(report.probes[0]!.reason, /no answer within 100ms/);
  assert.match(report.probes[1]!.reason, /probe error: bug/);
  assert.equal(report.exitCode, 1);
});

test('--only picks probes by name; an unknown name, or nothing to check at all, is exit 3', async () => {
  const probes = [fixed('heartbeat', 'healthy'), fixed('bot-process', 'unhealthy')];
  const only = await runCheck(probes, { ...base, only: ['heartbeat'] }, { clock: systemClock });
  assert.deepEqual(only.probes.map((p) => p.probe), ['heartbeat']);
  assert.equal(only.exitCode, 0);
  const unknown = await runCheck(probes, { ...base, only: ['heartbeat', 'mirai-ws'] }, { clock: systemClock });
  assert.equal(unknown.exitCode, 3);
  assert.deepEqual(unknown.errors, ['--only: probe "mirai-ws" is not configured here (configured: heartbeat, bot-process)']);
  const none = await runCheck([], base, { clock: systemClock });
  assert.equal(none.exitCode, 3);
  assert.match(none.errors[0] ?? '', /nothing to check/);
});

test('--on-unhealthy and --failures need --state', async () => {
  const a = await runCheck([fixed('x', 'healthy')], { ...base, onUnhealthy: 'true' }, { clock: systemClock });
  assert.equal(a.exitCode, 3);
  assert.match(a.errors[0] ?? '', /--on-unhealthy needs --state/);
  const b = await runCheck([fixed('x', 'healthy')], { ...base, failures: 2 }, { clock: systemClock });
  assert.match(b.errors[0] ?? '', /--failures needs --state/);
});

test('cron memory: the action runs at the threshold with the reasons, is remembered before it runs, and then cools down', async () => {
  const memoryFile = join(mkdtempSync(join(tmpdir(), 'bw-runcheck-')), 'check.json');
  let now = Date.parse('2026-01-01T00:00:00.000Z');
  const calls: { command: string; env: NodeJS.ProcessEnv | undefined; remembered: string | undefined }[] = [];
  const runAction = async (command: string, options: { env?: NodeJS.ProcessEnv }): Promise<ActionResult> => {
    const memory = readMemory(memoryFile);
    calls.push({ command, env: options.env, remembered: memory.status === 'ok' ? memory.memory.lastAction?.startedAt : undefined });
    return { command, exitCode: 0, signal: null, timedOut: false, durationMs: 12, output: 'restarted\n', truncated: false };
  };
  const options: CheckOptions = { ...base, memoryFile, failures: 2, onUnhealthy: 'systemctl restart qchatgpt' };
  const probes = [fixed('heartbeat', 'unhealthy', 'file is 95s old'), fixed('bot-process', 'healthy')];
  const run = async () => {
    const report = await runCheck(probes, options, { clock: systemClock, now: () => now, runAction: runAction as never });
    now += 60_000;
    return report;
  };

  const first = await run();
  assert.equal(first.status, 'healthy');
  assert.equal(first.verdict, 'unhealthy');
  assert.equal(first.exitCode, 0);
  assert.deepEqual(first.failures, { consecutive: 1, threshold: 2, since: '2026-01-01T00:00:00.000Z' });
  assert.deepEqual(first.action, { command: 'systemctl restart qchatgpt', ran: false, skipped: 'not-unhealthy', nextAllowedAt: null });

  const second = await run();
  assert.equal(second.status, 'unhealthy');
  assert.equal(second.exitCode, 1);
  assert.equal(calls.length, 1);
  assert.equal(calls[0]?.remembered, '2026-01-01T00:01:00.000Z', 'the action was remembered before it ran');
  assert.equal(calls[0]?.env?.BOT_WATCHDOG_CHECK_FAILURES, '2');
  assert.equal(calls[0]?.env?.BOT_WATCHDOG_CHECK_REASON, 'heartbeat: file is 95s old');
  assert.deepEqual(second.action, {
    command: 'systemctl restart qchatgpt', ran: true, startedAt: '2026-01-01T00:01:00.000Z',
    exitCode: 0, signal: null, timedOut: false, durationMs: 12, output: 'restarted\n', truncated: false,
  });

  const third = await run();
  assert.equal(third.exitCode, 1);
  assert.deepEqual(third.action, { command: 'systemctl restart qchatgpt', ran: false, skipped: 'cooldown', nextAllowedAt: '2026-01-01T00:11:00.000Z' });
  assert.equal(calls.length, 1);
  const memory = readMemory(memoryFile);
  assert.equal(memory.status === 'ok' && memory.memory.lastAction?.exitCode, 0);
});

test('an unreadable --state file is exit 3 and nothing runs', async () => {
  const memoryFile = join(mkdtempSync(join(tmpdir(), 'bw-runcheck-')), 'check.json');
  writeFileSync(memoryFile, 'garbage');
  let ran = false;
  const probe: Probe = { name: 'x', check: async () => ((ran = true), { probe: 'x', verdict: 'healthy', reason: '', latencyMs: 0 }) };
  const report = await runCheck([probe], { ...base, memoryFile }, { clock: systemClock });
  assert.equal(report.exitCode, 3);
  assert.match(report.errors[0] ?? '', /--state .*check\.json: cannot read it: not valid JSON \(delete it to start over\)/);
  assert.equal(ran, false);
});
