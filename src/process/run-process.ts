// The one process runner: every command the watchdog starts (the bot, hooks, `check
// --on-unhealthy`, `backend.restart.command`) goes through startProcess; the short-lived ones
// through runProcess, which adds a time limit, a group kill, an output tail and a cancel signal.
//
// On node:child_process rather than execa: execa 9 costs the long-running watchdog ~7.6 MiB of
// private memory (RssAnon) and 150-300 ms of load time for options these calls do not use
// (measured in docs/supervision.md, "One process runner"). The shape follows execa's: one
// options funnel, one result type with fixed fields.
import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';

/** Why a command could not be started (not found, not executable, a refused argument). */
export interface StartError {
  code?: string;
  message: string;
}

/** How a started process ended. `error` is set when it could not be started at all. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: StartError;
}

export interface StartSpec {
  command: readonly string[];
  cwd?: string;
  /** The whole environment of the process (default: the watchdog's own). */
  env?: NodeJS.ProcessEnv;
  /** stdin: the watchdog's own (`inherit`), none (`ignore`), or a pipe to write `input` to. */
  stdin: 'inherit' | 'ignore' | 'pipe';
  /** Where the process runs; decides process groups (POSIX) or none (Windows). */
  platform: NodeJS.Platform;
}

/** A started process. Nothing is buffered and nothing is killed here. */
export interface StartedProcess {
  /** Undefined when it could not be started. */
  pid: number | undefined;
  stdin: NodeJS.WritableStream | null;
  stdout: Readable | null;
  stderr: Readable | null;
  /** Settles when the main process exits (never rejects), even while a helper still holds its pipes. */
  exited: Promise<ProcessExit>;
  /** Settles once every writer has closed stdout and stderr (or the start failed). */
  outputClosed: Promise<void>;
}

/**
 * Starts a command without a shell. On POSIX it leads its own process group and session, so its
 * whole group can be signalled; on Windows it gets no console window (there are no groups there:
 * a tree is killed with taskkill /T). stdout and stderr are pipes. Never throws: a command that
 * cannot start (ENOENT, EACCES, a NUL byte in an argument) gives `pid: undefined` and an `exited`
 * carrying the error.
 */
export function startProcess(spec: StartSpec): StartedProcess {
  const [file, ...args] = spec.command;
  let child: ChildProcess;
  try {
    if (file === undefined || file === '') throw Object.assign(new Error('empty command'), { code: 'EINVAL' });
    child = spawn(file, args, {
      cwd: spec.cwd,
      env: withoutNul(spec.env ?? process.env),
      stdio: [spec.stdin, 'pipe', 'pipe'],
      detached: spec.platform !== 'win32',
      windowsHide: true,
    });
  } catch (error) {
    const exit = Promise.resolve(notStarted(error));
    return { pid: undefined, stdin: null, stdout: null, stderr: null, exited: exit, outputClosed: exit.then(() => undefined) };
  }
  // ENOENT, EACCES…: 'error' instead of 'spawn'; the pid is undefined and no 'exit' follows.
  const failed = new Promise<ProcessExit>((resolve) => child.once('error', (error) => resolve(notStarted(error))));
  const exited: Promise<ProcessExit> =
    child.pid === undefined ? failed : new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  // 'close': the process has exited and every stdio stream is closed; never after a failed spawn.
  const outputClosed = Promise.race([failed, new Promise((resolve) => child.once('close', resolve))]).then(() => undefined);
  if (child.pid !== undefined) child.on('error', () => {}); // a failed kill() or write later must not crash us
  child.stdin?.on('error', () => {}); // a process that exits without reading its stdin: EPIPE is fine
  return { pid: child.pid, stdin: child.stdin, stdout: child.stdout, stderr: child.stderr, exited, outputClosed };
}

/**
 * The environment with NUL bytes dropped from its values: a value may carry text from outside (a
 * line the bot printed, in a hook's BOT_WATCHDOG_LINE), and one NUL would make the spawn fail.
 */
export function withoutNul(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || name.includes('\0')) continue;
    clean[name] = value.includes('\0') ? value.replaceAll('\0', '') : value;
  }
  return clean;
}

function notStarted(error: unknown): ProcessExit {
  const cause = error as NodeJS.ErrnoException | undefined;
  const message = cause?.message ?? String(error);
  return { code: null, signal: null, error: cause?.code ? { code: cause.code, message } : { message } };
}

/** Sends `signal` to the process group led by `pid` (POSIX). False when the group is gone. */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Windows: the tree of `pid` (its descendants by parent pid), forcibly, through this same runner. */
export function taskkillTree(pid: number): Promise<RunResult> {
  return runProcess({
    command: ['taskkill', '/pid', String(pid), '/T', '/F'],
    platform: 'win32',
    timeoutMs: 10_000,
    // A taskkill that hangs is ended alone (not by another taskkill).
    killTreeWindows: async (own) => {
      try {
        process.kill(own, 'SIGKILL');
      } catch {
        // gone
      }
    },
  });
}

export interface RunSpec {
  command: readonly string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Written to stdin, then stdin is closed; without it stdin is /dev/null. */
  input?: string;
  /** Past this the command and its group are stopped (`killSignal`, then SIGKILL). 0 = no limit. */
  timeoutMs?: number;
  /** Sent to the group at the time limit. Default SIGTERM. */
  killSignal?: NodeJS.Signals;
  /** SIGKILL to the group this long after `killSignal`. Default 5000; 0 = SIGKILL at once. */
  killGraceMs?: number;
  /** Aborting it kills the command and its group at once (SIGKILL); the result says `canceled`. */
  signal?: AbortSignal;
  /** Bytes of output kept (the end, stdout and stderr interleaved as they came). Default 4096. */
  tailBytes?: number;
  /** After the main process exits, how long its last output may take to arrive. Default 200 ms. */
  drainMs?: number;
  /** Default process.platform; injected so the Windows path can be tested anywhere. */
  platform?: NodeJS.Platform;
  /** Kills a tree on Windows (default taskkillTree). */
  killTreeWindows?: (pid: number) => Promise<unknown>;
}

/** How a run ended. Fixed fields, whatever happened. */
export interface RunResult {
  /** Null when a signal ended it or it never started. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** It outlived `timeoutMs` and was stopped. */
  timedOut: boolean;
  /** `signal` aborted it. */
  canceled: boolean;
  durationMs: number;
  /** The last `tailBytes` of its output (UTF-8). */
  outputTail: string;
  /** Output was dropped before the tail. */
  truncated: boolean;
  /** Set when it could not be started. */
  error?: StartError;
}

/**
 * Runs a short-lived command: resolves when its OWN process exits, never rejects. A helper it
 * leaves in the background (`sh -c "daemon & echo ok"`) may hold its pipes for ever: it is not
 * waited for (output that arrives within `drainMs` of the exit is kept). At the time limit its
 * whole group gets `killSignal` (+ SIGCONT, for a stopped one), SIGKILL after `killGraceMs`; after
 * a time limit or a cancel whatever is left of the group gets SIGKILL once the command has exited.
 */
export function runProcess(spec: RunSpec): Promise<RunResult> {
  const platform = spec.platform ?? process.platform;
  const started = performance.now();
  const tail = new OutputTail(spec.tailBytes ?? 4096);
  const child = startProcess({
    command: spec.command,
    cwd: spec.cwd,
    env: spec.env,
    stdin: spec.input === undefined ? 'ignore' : 'pipe',
    platform,
  });
  const result = (exit: ProcessExit, how: { timedOut: boolean; canceled: boolean }): RunResult => ({
    exitCode: exit.code,
    signal: exit.signal,
    ...how,
    durationMs: Math.round(performance.now() - started),
    ...tail.text(),
    ...(exit.error ? { error: exit.error } : {}),
  });
  if (child.pid === undefined) return child.exited.then((exit) => result(exit, { timedOut: false, canceled: false }));
  const pid = child.pid;

  child.stdout?.on('data', (chunk: Buffer) => tail.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => tail.push(chunk));
  if (spec.input !== undefined) child.stdin?.end(spec.input);

  let timedOut = false;
  let canceled = false;
  let exited = false;
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };
  const stopGroup = (signal: NodeJS.Signals): void => {
    if (platform === 'win32') {
      void (spec.killTreeWindows ?? taskkillTree)(pid).catch(() => {});
      return;
    }
    signalGroup(pid, signal);
    if (signal !== 'SIGKILL') signalGroup(pid, 'SIGCONT');
  };
  const timeoutMs = spec.timeoutMs ?? 0;
  if (timeoutMs > 0) {
    later(timeoutMs, () => {
      if (exited) return;
      timedOut = true;
      const grace = spec.killGraceMs ?? 5000;
      if (grace <= 0) return stopGroup('SIGKILL');
      stopGroup(spec.killSignal ?? 'SIGTERM');
      later(grace, () => stopGroup('SIGKILL'));
    });
  }
  const onAbort = () => {
    if (exited) return;
    canceled = true;
    stopGroup('SIGKILL');
  };
  if (spec.signal?.aborted) onAbort();
  else spec.signal?.addEventListener('abort', onAbort, { once: true });

  return child.exited.then(async (exit) => {
    exited = true;
    for (const timer of timers) clearTimeout(timer);
    spec.signal?.removeEventListener('abort', onAbort);
    // What is still in the pipes arrives shortly; a background process holding them is not waited for.
    let drain: NodeJS.Timeout | undefined;
    await Promise.race([child.outputClosed, new Promise<void>((resolve) => (drain = setTimeout(resolve, spec.drainMs ?? 200)))]);
    clearTimeout(drain);
    child.stdout?.destroy();
    child.stderr?.destroy();
    // Stopped for a reason: what it left of its group goes too.
    if ((timedOut || canceled) && platform !== 'win32') signalGroup(pid, 'SIGKILL');
    return result(exit, { timedOut, canceled });
  });
}

/** Keeps the last `limit` bytes of a stream of chunks. */
export class OutputTail {
  private chunks: Buffer[] = [];
  private size = 0;
  private dropped = false;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.chunks.length > 1 && this.size - this.chunks[0]!.length >= this.limit) {
      this.size -= this.chunks.shift()!.length;
      this.dropped = true;
    }
  }

  text(): { outputTail: string; truncated: boolean } {
    const all = Buffer.concat(this.chunks);
    const cut = all.length > this.limit;
    return { outputTail: (cut ? all.subarray(all.length - this.limit) : all).toString('utf8'), truncated: this.dropped || cut };
  }
}

/** One line for a log: why a run failed, or undefined when it exited 0. */
export function describeRun(result: RunResult, program: string): string | undefined {
  if (result.error) {
    if (result.error.code === 'ENOENT') return `${program}: command not found`;
    if (result.error.code === 'EACCES') return `${program}: permission denied`;
    return `could not start ${program}: ${result.error.code ?? firstLine(result.error.message)}`;
  }
  if (result.canceled) return 'canceled: killed';
  if (result.timedOut) return 'timed out: killed';
  if (result.exitCode === 0) return undefined;
  return result.exitCode === null ? `killed by ${result.signal ?? 'a signal'}` : `exit code ${result.exitCode}`;
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.slice(0, 200);
}
