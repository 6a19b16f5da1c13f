import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseLogLines, type LogRecord } from './log-sink.js';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = fileURLToPath(new URL('../../bin/bot-watchdog.js', import.meta.url));
export const fixture = (path: string) => fileURLToPath(new URL(`../fixtures/${path}`, import.meta.url));

export interface WatchdogRun {
  child: ChildProcess;
  pid: number;
  stdout: () => string;
  stderr: () => string;
  logs: () => LogRecord[];
  /** Resolves with the first log record of `event` matching `predicate` (also one already seen). */
  waitForEvent: (event: string, predicate?: (r: LogRecord) => boolean, timeoutMs?: number) => Promise<LogRecord>;
  /** Resolves when stdout has matched `pattern` (count times). */
  waitForStdout: (pattern: RegExp, timeoutMs?: number) => Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill: (signal?: NodeJS.Signals) => void;
}

/**
 * Watchdogs still running when the test file ends (a failed test) get SIGTERM, and stop their
 * bots. So they do when the test runner stops the file (its timeout sends SIGTERM, which ends a
 * process without an 'exit' event): a watchdog is never left behind, orphaned, with its bot.
 */
const live = new Set<ChildProcess>();
const stopLive = () => {
  for (const child of live) child.kill('SIGTERM');
};
process.once('exit', stopLive);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    stopLive();
    process.exit(128 + (signal === 'SIGTERM' ? 15 : 2));
  });
}

/**
 * Runs the real CLI (bin/bot-watchdog.js, built code) with JSON logs, capturing its stdout (the
 * bot's output passed through) and stderr (our log lines and the bot's stderr).
 */
export function runWatchdog(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; /** e.g. ['unshare', '--pid', '--fork'] */ launcher?: string[] } = {},
): WatchdogRun {
  const [program, ...launcherArgs] = [...(options.launcher ?? []), process.execPath];
  const child = spawn(program as string, [...launcherArgs, BIN, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const listener of [...listeners]) listener();
  };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    notify();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
    notify();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      notify();
      resolve({ code, signal });
    }),
  );
  let exitedNow = false;
  void exited.then(() => (exitedNow = true));

  function waitFor<T>(probe: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = probe();
        if (found !== undefined) {
          cleanup();
          resolve(found);
        } else if (exitedNow) {
          cleanup();
          reject(new Error(`watchdog exited before ${what}\n--- stderr ---\n${err.slice(-4000)}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs}ms waiting for ${what}\n--- stderr ---\n${err.slice(-4000)}\n--- stdout ---\n${out.slice(-2000)}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });
  }

  return {
    child,
    pid: child.pid as number,
    stdout: () => out,
    stderr: () => err,
    logs: () => parseLogLines(err),
    waitForEvent: (event, predicate = () => true, timeoutMs = 20_000) =>
      waitFor(() => parseLogLines(err).find((r) => r.event === event && predicate(r)), `event ${event}`, timeoutMs),
    waitForStdout: (pattern, timeoutMs = 20_000) => waitFor(() => (pattern.test(out) ? true : undefined), `stdout ${pattern}`, timeoutMs).then(() => undefined),
    exited,
    kill: (signal = 'SIGTERM') => {
      child.kill(signal);
    },
  };
}
