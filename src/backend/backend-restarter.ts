import type { Clock, TimerHandle } from '../clock/clock.js';
import { EventEmitter } from 'node:events';
import { restartCommandRunner, type CommandRunner, type RestartCommandResult } from './restart-command.js';

/** The longest delay a Node timer holds; a longer wait is armed in steps. */
const MAX_TIMER_MS = 2_147_483_647;

/** What is wrong with the backend: a confirmed outage, or its QQ account offline. */
export type BackendProblem = 'down' | 'account-offline';

export interface BackendRestarterOptions {
  /** `backend.restart.command`: argv, run without a shell (`["docker", "restart", "napcat"]`). */
  command: [string, ...string[]];
  /** `backend.restart.after`: down or offline this long before the first run. */
  after: number;
  /** `backend.restart.cooldown`: at most one run per this much time. */
  cooldown: number;
  /** Runs that did not bring the backend back before giving up (a QR login needs a human). Default 3. */
  maxAttempts?: number;
  /** A run is stopped after this. Default 2 minutes. */
  timeoutMs?: number;
  /** Bytes of output kept (the end). Default 4 KiB. */
  outputLimit?: number;
  clock: Clock;
  run?: CommandRunner;
}

export interface RestartRun {
  attempt: number;
  problem: BackendProblem;
  /** How long the backend had been down/offline when the run started. */
  unhealthyForMs: number;
  command: string[];
}

export interface BackendRestarterEvents {
  run: [RestartRun];
  result: [RestartRun & RestartCommandResult];
  /** `maxAttempts` runs did not bring the backend back: no more runs until it is healthy again. */
  giveup: [{ attempts: number; problem: BackendProblem; unhealthyForMs: number; command: string[] }];
  /** Healthy for `after` again: the attempts start over. */
  reset: [{ attempts: number }];
}

/**
 * `backend.restart`: runs a command that restarts the backend (`docker restart napcat`,
 * `systemctl restart napcat`) once it has been down or its account offline for `after`, at most
 * once per `cooldown`, and gives up after `maxAttempts` runs that did not bring it back (an
 * account kicked offline usually needs a QR login: a human). Fed by `report()`; the attempts
 * start over once the backend has been healthy for `after`. Time and the runner are injected.
 */
export class BackendRestarter extends EventEmitter<BackendRestarterEvents> {
  private readonly clock: Clock;
  private readonly run: CommandRunner;
  private readonly maxAttempts: number;
  private problem: BackendProblem | undefined;
  private unhealthySince: number | undefined;
  private attempts = 0;
  private lastStartAt: number | undefined;
  private running = false;
  private gaveUp = false;
  private stopped = false;
  private dueTimer: TimerHandle | undefined;
  private resetTimer: TimerHandle | undefined;

  constructor(private readonly options: BackendRestarterOptions) {
    super();
    this.clock = options.clock;
    this.run = options.run ?? restartCommandRunner;
    this.maxAttempts = options.maxAttempts ?? 3;
  }

  /** The backend's state now: a problem, or undefined when healthy (ready and account online). */
  report(problem: BackendProblem | undefined): void {
    if (this.stopped) return;
    if (problem === undefined) {
      this.problem = undefined;
      this.unhealthySince = undefined;
      this.clear('dueTimer');
      if ((this.attempts > 0 || this.gaveUp) && this.resetTimer === undefined) {
        this.resetTimer = this.clock.setTimeout(() => this.reset(), this.options.after, { unref: true });
      }
      return;
    }
    this.problem = problem;
    this.clear('resetTimer');
    if (this.unhealthySince === undefined) {
      this.unhealthySince = this.clock.now();
      this.schedule();
    }
  }

  snapshot(): { problem: BackendProblem | undefined; unhealthyForMs: number | undefined; attempts: number; running: boolean; gaveUp: boolean; nextRunInMs: number | undefined } {
    const now = this.clock.now();
    const due = this.dueAt();
    return {
      problem: this.problem,
      unhealthyForMs: this.unhealthySince === undefined ? undefined : now - this.unhealthySince,
      attempts: this.attempts,
      running: this.running,
      gaveUp: this.gaveUp,
      nextRunInMs: due === undefined || this.running || this.gaveUp ? undefined : Math.max(0, due - now),
    };
  }

  /** No more runs (one in progress finishes on its own: it is restarting the backend). */
  stop(): void {
    this.stopped = true;
    this.clear('dueTimer');
    this.clear('resetTimer');
  }

  private dueAt(): number | undefined {
    if (this.unhealthySince === undefined) return undefined;
    const afterOutage = this.unhealthySince + this.options.after;
    return this.lastStartAt === undefined ? afterOutage : Math.max(afterOutage, this.lastStartAt + this.options.cooldown);
  }

  private schedule(): void {
    this.clear('dueTimer');
    const due = this.dueAt();
    if (due === undefined || this.running || this.gaveUp || this.stopped) return;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, due - this.clock.now()));
    this.dueTimer = this.clock.setTimeout(
      () => {
        this.dueTimer = undefined;
        if (this.clock.now() < due) return this.schedule(); // a wait longer than a timer holds
        void this.fire();
      },
      delay,
      { unref: true },
    );
  }

  private async fire(): Promise<void> {
    if (this.problem === undefined || this.unhealthySince === undefined || this.running || this.stopped) return;
    const unhealthyForMs = this.clock.now() - this.unhealthySince;
    const command = [...this.options.command];
    if (this.attempts >= this.maxAttempts) {
      this.gaveUp = true;
      this.emit('giveup', { attempts: this.attempts, problem: this.problem, unhealthyForMs, command });
      return;
    }
    this.attempts++;
    this.lastStartAt = this.clock.now();
    this.running = true;
    const run: RestartRun = { attempt: this.attempts, problem: this.problem, unhealthyForMs, command };
    this.emit('run', run);
    let result: RestartCommandResult;
    try {
      result = await this.run(this.options.command, { timeoutMs: this.options.timeoutMs ?? 120_000, outputLimit: this.options.outputLimit ?? 4096 });
    } catch (error) {
      result = { exitCode: undefined, signal: undefined, timedOut: false, durationMs: 0, output: '', truncated: false, error: (error as Error).message };
    }
    this.running = false;
    this.emit('result', { ...run, ...result });
    this.schedule();
  }

  private reset(): void {
    this.resetTimer = undefined;
    const attempts = this.attempts;
    this.attempts = 0;
    this.gaveUp = false;
    this.emit('reset', { attempts });
  }

  private clear(timer: 'dueTimer' | 'resetTimer'): void {
    this.clock.clearTimeout(this[timer]);
    this[timer] = undefined;
  }
}
