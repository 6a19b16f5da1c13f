import { performance } from 'node:perf_hooks';
import { CHECK_EXIT } from '../exit-codes.js';
import type { Clock } from '../clock/clock.js';
import { checkOnce } from '../health/check-once.js';
import type { Probe, ProbeResult } from '../probes/probe.js';
import { decide, readMemory, writeMemory, type CheckMemory, type RunVerdict } from './check-memory.js';
import type { ActionResult, runAction as RunAction } from './on-unhealthy.js';

export interface CheckOptions {
  /** `--only`: the names of the probes to run; all configured ones when absent. */
  only?: string[];
  /** The longest the probes may take, together (they run at once). */
  timeoutMs: number;
  /** `--state`: where consecutive results are kept between runs. */
  memoryFile?: string;
  /** `--failures`: unhealthy runs in a row before the status is unhealthy. */
  failures: number;
  /** `--on-unhealthy`: a shell command run when the status is unhealthy. */
  onUnhealthy?: string;
  cooldownMs: number;
  actionTimeoutMs: number;
}

export interface CheckDeps {
  /** The probes' time limit, and wall-clock time for the report and the cooldown. */
  clock: Clock;
  /** Wall-clock milliseconds (default: the clock's). */
  now?: () => number;
  /** Runs the action (loaded only when one is due). */
  runAction?: typeof RunAction;
}

/** The `--on-unhealthy` part of a report. */
export type ActionReport =
  | ({ command: string; ran: true; startedAt: string } & Omit<ActionResult, 'command'>)
  | { command: string; ran: false; skipped: 'not-unhealthy' | 'cooldown'; nextAllowedAt: string | null };

/** One run of `check`, as `--json` prints it. Field names are stable (see the README). */
export interface CheckReport {
  /** What the exit code says: "healthy" 0, "unhealthy" 1, "cannot-check" 3. */
  status: RunVerdict;
  exitCode: number;
  /** This run alone, before `--failures` is applied. */
  verdict: RunVerdict;
  checkedAt: string;
  durationMs: number;
  config: string | null;
  probes: ProbeResult[];
  /** With `--state`: the streak of unhealthy runs. */
  failures: { consecutive: number; threshold: number; since: string | null } | null;
  action: ActionReport | null;
  /** Why the check could not be done (bad config, unreadable --state, unknown --only name…). */
  errors: string[];
}

export const EXIT_OF: Record<RunVerdict, number> = {
  healthy: CHECK_EXIT.HEALTHY,
  unhealthy: CHECK_EXIT.UNHEALTHY,
  'cannot-check': CHECK_EXIT.CANNOT_CHECK,
};

/** A report for a check that could not even start (bad config, bad options). */
export function cannotCheck(errors: string[], startedAt: number, config: string | null = null, now: () => number = Date.now): CheckReport {
  return {
    status: 'cannot-check',
    exitCode: CHECK_EXIT.CANNOT_CHECK,
    verdict: 'cannot-check',
    checkedAt: new Date(now()).toISOString(),
    durationMs: Math.round(performance.now() - startedAt),
    config,
    probes: [],
    failures: null,
    action: null,
    errors,
  };
}

/**
 * Runs each probe once, at the same time, within `timeoutMs`; folds the verdict into the
 * `--state` memory; runs the `--on-unhealthy` action when it is due. Never throws for a failing
 * probe: every outcome is in the report.
 */
export async function runCheck(configured: Probe[], options: CheckOptions, deps: CheckDeps): Promise<CheckReport> {
  const startedAt = performance.now();
  const now = deps.now ?? (() => deps.clock.wallNow());
  const fail = (errors: string[]) => cannotCheck(errors, startedAt, null, now);

  let probes = configured;
  if (options.only) {
    const names = new Set(configured.map((probe) => probe.name));
    const unknown = options.only.filter((name) => !names.has(name));
    if (unknown.length > 0) {
      const known = names.size > 0 ? [...names].join(', ') : 'none';
      return fail(unknown.map((name) => `--only: probe "${name}" is not configured here (configured: ${known})`));
    }
    probes = configured.filter((probe) => options.only!.includes(probe.name));
  }
  if (probes.length === 0) {
    return fail([
      'nothing to check: configure backend or probes.heartbeat, or start a watchdog with this config (its state file gives the bot-process probe)',
    ]);
  }

  if (!options.memoryFile && (options.onUnhealthy !== undefined || options.failures > 1)) {
    // Without memory, "N runs in a row" and the cooldown cannot work: cron would restart every minute.
    return fail([`${options.onUnhealthy !== undefined ? '--on-unhealthy' : '--failures'} needs --state <file>, where check remembers its results between runs`]);
  }
  let memory: CheckMemory | undefined;
  if (options.memoryFile) {
    const read = readMemory(options.memoryFile);
    if (read.status === 'unreadable') return fail([`--state ${options.memoryFile}: cannot read it: ${read.reason} (delete it to start over)`]);
    memory = read.memory;
  }

  const results = await runProbes(probes, options.timeoutMs, deps.clock);
  const verdict = aggregate(results);
  const report: CheckReport = {
    status: verdict,
    exitCode: EXIT_OF[verdict],
    verdict,
    checkedAt: new Date(now()).toISOString(),
    durationMs: 0,
    config: null,
    probes: results,
    failures: null,
    action: null,
    errors: [],
  };
  const finish = (): CheckReport => {
    report.exitCode = EXIT_OF[report.status];
    report.durationMs = Math.round(performance.now() - startedAt);
    return report;
  };
  if (!options.memoryFile || !memory) return finish();

  const decision = decide(memory, verdict, { failures: options.failures, cooldownMs: options.cooldownMs, now: now() });
  report.status = decision.status;
  report.failures = { consecutive: decision.memory.consecutiveFailures, threshold: options.failures, since: decision.memory.failingSince };
  const command = options.onUnhealthy;
  const due = command !== undefined && decision.action.run;
  const actionAt = new Date(now()).toISOString();
  const next: CheckMemory = due ? { ...decision.memory, lastAction: { command, startedAt: actionAt } } : decision.memory;
  // Remembered before the action runs, so that an overlapping run (a slow cron job) sees the
  // cooldown. Without memory the cooldown cannot hold: then no action either.
  try {
    writeMemory(options.memoryFile, next);
  } catch (error) {
    report.status = 'cannot-check';
    report.errors.push(`--state ${options.memoryFile}: cannot write it: ${(error as Error).message}`);
    return finish();
  }
  if (command === undefined) return finish();
  if (!due) {
    const skipped = decision.action.run ? null : decision.action;
    report.action = { command, ran: false, skipped: skipped?.skipped ?? 'not-unhealthy', nextAllowedAt: skipped?.nextAllowedAt ?? null };
    return finish();
  }
  const action = await act(command, actionAt, results, next.consecutiveFailures, options, deps);
  report.action = action;
  next.lastAction = {
    command,
    startedAt: actionAt,
    exitCode: action.exitCode,
    signal: action.signal,
    timedOut: action.timedOut,
    durationMs: action.durationMs,
  };
  try {
    writeMemory(options.memoryFile, next);
  } catch (error) {
    report.errors.push(`--state ${options.memoryFile}: cannot write it: ${(error as Error).message}`);
  }
  return finish();
}

/** unhealthy if any probe is; otherwise cannot-check if any probe could not work; else healthy. */
export function aggregate(results: ProbeResult[]): RunVerdict {
  if (results.some((r) => r.verdict === 'unhealthy')) return 'unhealthy';
  if (results.length === 0 || results.some((r) => r.verdict === 'misconfigured')) return 'cannot-check';
  return 'healthy';
}

/** Runs every probe at once, each through checkOnce (the same rules as under `run`). */
export async function runProbes(probes: Probe[], timeoutMs: number, clock: Clock): Promise<ProbeResult[]> {
  return Promise.all(probes.map((probe) => checkOnce(probe, timeoutMs, clock)));
}

async function act(
  command: string,
  startedAt: string,
  results: ProbeResult[],
  failures: number,
  options: CheckOptions,
  deps: CheckDeps,
): Promise<Extract<ActionReport, { ran: true }>> {
  const run = deps.runAction ?? (await import('./on-unhealthy.js')).runAction;
  const reason = results
    .filter((r) => r.verdict !== 'healthy')
    .map((r) => `${r.probe}: ${r.reason}`)
    .join('; ');
  const outcome = await run(command, {
    timeoutMs: options.actionTimeoutMs,
    env: { ...process.env, BOT_WATCHDOG_CHECK_FAILURES: String(failures), BOT_WATCHDOG_CHECK_REASON: reason },
  });
  const { command: _command, ...rest } = outcome;
  return { command, ran: true, startedAt, ...rest };
}
