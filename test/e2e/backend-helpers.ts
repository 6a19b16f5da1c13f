import type { TestContext } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogRecord } from '../helpers/log-sink.js';
import { fixture, runWatchdog, type WatchdogRun } from '../helpers/watchdog-process.js';

/** Fast timings for end-to-end runs (the defaults are 5 s polls and 10 s pings). */
export const FAST = {
  probes: {
    // Short intervals, but timeouts with room for a busy machine: a false alarm would break counts.
    backend: { interval: '200ms', timeout: '2s', failureThreshold: 2 },
    // A 3 s pong timeout: a stall of the test process (which hosts the fake) must not look like
    // a frozen backend; the freeze test sets its own.
    websocket: { pingInterval: '300ms', pongTimeout: '3s' },
  },
  restart: { initialDelay: '50ms', maxDelay: '200ms', jitter: 0 },
  stop: { timeout: '3s' },
  log: { format: 'json', level: 'debug' },
};

export const KEY = 'e2e-Verify-Key-7f3a';
export const QQ = 123456789;

export const node = process.execPath;
export const miraiJsBot = [node, fixture('bots/mirai-js-bot.mjs')];
export const pythonBot = ['python3', fixture('bots/qchatgpt_like.py')];
export const healthyBot = [node, fixture('bots/healthy.mjs')];

/** Runs the real CLI on a config (FAST merged under `config`), and stops it when the test ends. */
export function watchdog(t: TestContext, config: Record<string, unknown>): WatchdogRun {
  const dir = mkdtempSync(join(tmpdir(), 'bw-e2e-'));
  const file = join(dir, 'watchdog.config.json');
  const probes = { ...FAST.probes, ...((config['probes'] as object) ?? {}) };
  writeFileSync(file, JSON.stringify({ ...FAST, ...config, probes }, null, 2));
  const run = runWatchdog(['run', '--config', file]);
  t.after(async () => {
    if (run.child.exitCode === null && run.child.signalCode === null) run.kill('SIGTERM');
    await run.exited;
    rmSync(dir, { recursive: true, force: true });
  });
  return run;
}

export function events(run: WatchdogRun, name: string, predicate: (r: LogRecord) => boolean = () => true): LogRecord[] {
  return run.logs().filter((r) => r.event === name && predicate(r));
}

/** Resolves once `name` has been logged `n` times in all (matching `predicate`). */
export function nth(run: WatchdogRun, name: string, n: number, predicate: (r: LogRecord) => boolean = () => true, timeoutMs = 30_000): Promise<LogRecord> {
  return run
    .waitForEvent(name, () => events(run, name, predicate).length >= n, timeoutMs)
    .then(() => events(run, name, predicate)[n - 1] as LogRecord);
}

/** Milliseconds between two log records (their own timestamps). */
export function between(a: LogRecord, b: LogRecord): number {
  return Date.parse(String(b['time'])) - Date.parse(String(a['time']));
}

/** Counts a pattern's matches in text. */
export function occurrences(text: string, pattern: RegExp): number {
  return (text.match(new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`)) ?? []).length;
}
