// The built CLI (bin/bot-watchdog.js) as a benchmark runs it: JSON log lines parsed as they come
// (one at a time, so a run of thousands of events stays cheap), the bot's stdout kept short.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/bot-watchdog.js', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface LogLine {
  event?: string;
  time?: string;
  pid?: number;
  reason?: string;
  [key: string]: unknown;
}

export class WatchdogCli extends EventEmitter {
  readonly child: ChildProcess;
  readonly counts = new Map<string, number>();
  /** The last lines of stderr, for an error message. */
  readonly tail: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private exitedNow = false;

  constructor(args: string[], options: { nodeArgs?: string[]; cwd?: string; stdout?: 'ignore' | 'pipe'; /** Another build's bin script. */ bin?: string } = {}) {
    super();
    this.child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.bin ?? BIN, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      stdio: ['ignore', options.stdout ?? 'ignore', 'pipe'],
    });
    let partial = '';
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) this.line(line);
    });
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.emit('stdout', chunk));
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        this.exitedNow = true;
        this.emit('exit', { code, signal });
        resolve({ code, signal });
      }),
    );
  }

  get pid(): number {
    return this.child.pid as number;
  }

  count(event: string): number {
    return this.counts.get(event) ?? 0;
  }

  private line(text: string): void {
    this.tail.push(text);
    if (this.tail.length > 40) this.tail.shift();
    if (!text.startsWith('{')) return;
    let record: LogLine;
    try {
      record = JSON.parse(text) as LogLine;
    } catch {
      return;
    }
    if (typeof record.event !== 'string') return;
    this.counts.set(record.event, this.count(record.event) + 1);
    this.emit('log', record);
  }

  /** The next (or, with `seen`, an already counted n-th) log record of `event` matching `predicate`. */
  waitForEvent(event: string, predicate: (r: LogLine) => boolean = () => true, timeoutMs = 30_000): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const onLog = (record: LogLine) => {
        if (record.event !== event || !predicate(record)) return;
        cleanup();
        resolve(record);
      };
      const onExit = () => {
        cleanup();
        reject(new Error(`the watchdog exited before ${event}\n${this.tail.join('\n')}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no ${event} within ${timeoutMs} ms\n${this.tail.join('\n')}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.off('log', onLog);
        this.off('exit', onExit);
      };
      if (this.exitedNow) return onExit();
      this.on('log', onLog);
      this.on('exit', onExit);
    });
  }

  /** SIGTERM, and SIGKILL after `graceMs` if it has not exited. */
  async stop(graceMs = 15_000): Promise<void> {
    if (this.exitedNow) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
