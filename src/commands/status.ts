import { ConfigError } from '../config/config-error.js';
import { loadConfig } from '../config/load-config.js';
import { humanDuration } from '../human-duration.js';
import { createTextRedactor } from '../log/redact.js';
import { STATUS_EXIT } from '../exit-codes.js';
import { liveness } from '../state/identity.js';
import { readStateFile, type ProbeRecord } from '../state/state-file.js';
import { buildStatusReport, emptyStatusReport, type StatusReport } from '../state/status-report.js';
import type { Io } from './check.js';
import { secretValues } from '../config/secret-values.js';

export type { StatusReport } from '../state/status-report.js';

export interface StatusCommandOptions {
  config?: string;
  json?: boolean;
}

/** `bot-watchdog status`: reads the state file; exit codes as LSB init scripts (0, 1, 3, 4). */
export async function statusCommand(options: StatusCommandOptions, io: Io = process, now: () => number = Date.now): Promise<number> {
  const { report: raw, exitCode, secrets } = await status(options, now);
  // Kept by whoever runs it (a health check, a log): scrubbed as the logs are.
  const report = redactStatus(raw, createTextRedactor(secrets));
  if (options.json) io.stdout.write(`${JSON.stringify(report)}\n`);
  else if (report.error && !report.watchdog) io.stderr.write(`${report.error}\n`);
  else io.stdout.write(formatStatus(report, now));
  return exitCode;
}

async function status(
  options: StatusCommandOptions,
  now: () => number,
): Promise<{ report: StatusReport; exitCode: number; secrets: (string | undefined)[] }> {
  let config;
  try {
    config = loadConfig({ configFile: options.config, requireCommand: false });
  } catch (error) {
    if (error instanceof ConfigError) return { report: emptyStatusReport(null, error.problems.join('\n')), exitCode: STATUS_EXIT.UNKNOWN, secrets: [] };
    throw error;
  }
  const secrets = secretValues(config);
  const file = config.state.file;
  const read = readStateFile(file);
  if (read.status === 'missing') {
    return { report: emptyStatusReport(file, `no state file at ${file}: no watchdog has run with this config here`), exitCode: STATUS_EXIT.NOT_RUNNING, secrets };
  }
  if (read.status === 'unreadable') {
    return { report: emptyStatusReport(file, `cannot read the state file ${file}: ${read.reason}`), exitCode: STATUS_EXIT.UNKNOWN, secrets };
  }
  const { state } = read;
  const report = buildStatusReport(state, file, now(), (process) => liveness(process) !== 'gone');
  const watchdogAlive = report.running;
  const exitCode = watchdogAlive ? STATUS_EXIT.RUNNING : state.state === 'stopped' ? STATUS_EXIT.NOT_RUNNING : STATUS_EXIT.DEAD;
  return { report, exitCode, secrets };
}

/** The report with its free texts scrubbed: probe reasons, the restart reason, the command line, the error. */
function redactStatus(report: StatusReport, redact: (text: string) => string): StatusReport {
  const probes: Record<string, ProbeRecord> = {};
  for (const [name, probe] of Object.entries(report.probes)) probes[name] = probe.reason === undefined ? probe : { ...probe, reason: redact(probe.reason) };
  return {
    ...report,
    bot: report.bot && { ...report.bot, command: report.bot.command.map(redact) },
    lastRestart: report.lastRestart && { ...report.lastRestart, reason: redact(report.lastRestart.reason) },
    probes,
    error: report.error === null ? null : redact(report.error),
  };
}

export function formatStatus(report: StatusReport, now: () => number = Date.now): string {
  const ago = (iso: string | null | undefined): string => {
    const at = iso ? Date.parse(iso) : NaN;
    return Number.isFinite(at) ? `${humanDuration(Math.max(0, now() - at))} ago` : 'at an unknown time';
  };
  const lines: [string, string][] = [];
  const { watchdog, bot } = report;
  if (watchdog) {
    lines.push([
      'watchdog',
      watchdog.alive
        ? `running, pid ${watchdog.pid}, up ${humanDuration(watchdog.uptimeMs ?? 0)}, ${watchdog.state}`
        : watchdog.state === 'stopped'
          ? `not running (pid ${watchdog.pid} exited ${ago(report.updatedAt)})`
          : `not running: pid ${watchdog.pid} died while ${watchdog.state} (killed?); last update ${ago(report.updatedAt)}`,
    ]);
  }
  if (bot) {
    const command = bot.command.join(' ');
    lines.push([
      'bot',
      bot.alive
        ? `running, pid ${bot.pid}, up ${humanDuration(bot.uptimeMs ?? 0)}${command ? `: ${command}` : ''}${watchdog && !watchdog.alive ? ' (orphaned: the next run stops it)' : ''}`
        : `gone (pid ${bot.pid})`,
    ]);
  } else {
    lines.push(['bot', report.lastExit ? `not running (pid ${report.lastExit.pid} exited ${ago(report.lastExit.at)})` : 'not running']);
  }
  lines.push([
    'restarts',
    `${report.restarts}${report.lastRestart ? `, last: ${report.lastRestart.reason} ${ago(report.lastRestart.at)}` : ''}`,
  ]);
  const probes = Object.entries(report.probes);
  if (probes.length === 0) lines.push(['probes', 'none reported']);
  probes.forEach(([name, probe], index) => {
    lines.push([index === 0 ? 'probes' : '', `${name} ${probe.verdict}${probe.reason ? `: ${probe.reason}` : ''} (since ${ago(probe.since)})`]);
  });
  lines.push(['state file', `${report.stateFile} (updated ${ago(report.updatedAt)})`]);
  const width = Math.max(...lines.map(([label]) => label.length));
  return `${lines.map(([label, text]) => `${label.padEnd(width)}  ${text}`).join('\n')}\n`;
}
