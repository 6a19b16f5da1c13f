import { systemClock } from '../clock/clock.js';
import { performance } from 'node:perf_hooks';
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { cannotCheck, runCheck, type CheckReport } from '../check/run-check.js';
import { ConfigError } from '../config/config-error.js';
import { loadConfig } from '../config/load-config.js';
import { humanDuration } from '../human-duration.js';
import { createTextRedactor, scrubCredentials } from '../log/redact.js';
import type { Probe } from '../probes/probe.js';
import { lockPathFor } from '../state/state-file.js';
import { secretValues } from '../config/secret-values.js';

export interface CheckCommandOptions {
  config?: string;
  json?: boolean;
  only?: string[];
  /** --state: check's memory between runs. */
  state?: string;
  failures: number;
  onUnhealthy?: string;
  cooldown: number;
  actionTimeout: number;
  timeout: number;
}

export interface Io {
  stdout: Writable;
  stderr: Writable;
}

/** `bot-watchdog check`: runs each configured probe once; resolves with 0 healthy, 1 unhealthy, 3 cannot check. */
export async function checkCommand(options: CheckCommandOptions, io: Io = process): Promise<number> {
  const startedAt = performance.now();
  const { report, redact } = await check(options, startedAt);
  // Health-check output is kept by Docker and Kubernetes: scrubbed as the logs are.
  redactReport(report, redact);
  if (options.json) {
    io.stdout.write(`${JSON.stringify(report)}\n`);
  } else {
    const text = formatCheckReport(report);
    if (text) io.stdout.write(text);
    for (const line of report.errors) io.stderr.write(`${line}\n`);
  }
  return report.exitCode;
}

async function check(options: CheckCommandOptions, startedAt: number): Promise<{ report: CheckReport; redact: (text: string) => string }> {
  let config;
  try {
    config = loadConfig({ configFile: options.config, requireCommand: false });
  } catch (error) {
    if (error instanceof ConfigError) return { report: cannotCheck(error.problems, startedAt), redact: scrubCredentials };
    throw error;
  }
  const redact = createTextRedactor(secretValues(config));
  const configFile = config.configFile ?? null;
  const memoryFile = options.state === undefined ? undefined : resolve(options.state);
  if (memoryFile !== undefined && (memoryFile === config.state.file || memoryFile === lockPathFor(config.state.file))) {
    return {
      report: cannotCheck([`--state ${options.state}: that is the watchdog's own state file; give check a file of its own`], startedAt, configFile),
      redact,
    };
  }
  const { buildProbes } = await import('../probes/build-probes.js');
  // Each result is scrubbed as it comes: the --on-unhealthy action's environment gets the reasons too.
  const probes = (await buildProbes(config, systemClock, options.only)).map((probe) => scrubbedProbe(probe, redact));
  const report = await runCheck(probes, {
    only: options.only,
    timeoutMs: options.timeout,
    memoryFile,
    failures: options.failures,
    onUnhealthy: options.onUnhealthy,
    cooldownMs: options.cooldown,
    actionTimeoutMs: options.actionTimeout,
  }, { clock: systemClock });
  report.config = configFile;
  return { report, redact };
}

function scrubbedProbe(probe: Probe, redact: (text: string) => string): Probe {
  return {
    name: probe.name,
    check: async (signal) => redactStrings(await probe.check(signal), redact),
  };
}

/** Scrubs the texts of a report in place: probe reasons and details, errors, the action's output. */
function redactReport(report: CheckReport, redact: (text: string) => string): void {
  report.probes = report.probes.map((probe) => redactStrings(probe, redact));
  report.errors = report.errors.map(redact);
  if (report.action) report.action = redactStrings(report.action, redact);
}

/** A copy with every string scrubbed (numbers, booleans and keys are left alone). */
function redactStrings<T>(value: T, redact: (text: string) => string, depth = 0): T {
  if (typeof value === 'string') return redact(value) as T;
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (Array.isArray(value)) return value.map((item) => redactStrings(item, redact, depth + 1)) as T;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = redactStrings(item, redact, depth + 1);
  return out as T;
}

/** The human form: one line per probe (name, verdict, latency, reason), then the status. */
export function formatCheckReport(report: CheckReport): string {
  const lines: string[] = [];
  const nameWidth = Math.max(0, ...report.probes.map((p) => p.probe.length));
  const verdictWidth = Math.max(0, ...report.probes.map((p) => p.verdict.length));
  const latencyWidth = Math.max(0, ...report.probes.map((p) => `${p.latencyMs}ms`.length));
  for (const probe of report.probes) {
    lines.push(
      `${probe.probe.padEnd(nameWidth)}  ${probe.verdict.padEnd(verdictWidth)}  ${`${probe.latencyMs}ms`.padStart(latencyWidth)}  ${probe.reason}`,
    );
  }
  let summary = `${report.status} (exit ${report.exitCode})`;
  if (report.failures) {
    const { consecutive, threshold } = report.failures;
    if (report.verdict === 'unhealthy' && report.status === 'healthy') {
      summary += `: this run is unhealthy, ${consecutive} of ${threshold} failures in a row before it counts`;
    } else if (report.status === 'unhealthy') {
      summary += `: ${consecutive} failure${consecutive === 1 ? '' : 's'} in a row${report.failures.since ? ` since ${report.failures.since}` : ''}`;
    }
  }
  lines.push(summary);
  const action = report.action;
  if (action?.ran) {
    const how = action.error
      ? `could not start: ${action.error}`
      : action.timedOut
        ? `timed out after ${humanDuration(action.durationMs)}, killed`
        : action.signal
          ? `killed by ${action.signal} after ${humanDuration(action.durationMs)}`
          : `exit ${action.exitCode} after ${humanDuration(action.durationMs)}`;
    lines.push(`on-unhealthy: ran ${JSON.stringify(action.command)}: ${how}`);
    if (action.output) {
      if (action.truncated) lines.push('  > …');
      for (const line of action.output.replace(/\n$/, '').split('\n')) lines.push(`  > ${line}`);
    }
  } else if (action && action.skipped === 'cooldown') {
    lines.push(`on-unhealthy: not run again before ${action.nextAllowedAt} (--cooldown)`);
  }
  return `${lines.join('\n')}\n`;
}
