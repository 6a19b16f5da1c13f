import { systemClock, type Clock, type TimerHandle } from '../clock/clock.js';
import { Cron } from 'croner';
import type { EventLog } from '../log/events.js';
import type { Monitor, SupervisorHandle } from './types.js';

/**
 * `restart.schedule`: a cron expression (5 fields, or 6 with seconds first; `@daily`, `@hourly`…)
 * in the machine's local time (TZ). The watchdog restarts the bot at each due time with reason
 * `scheduled` (PM2's cron_restart).
 */

/** Why `expression` is not a cron expression, or undefined when it is one. */
export function cronError(expression: string): string | undefined {
  try {
    const cron = new Cron(expression, { paused: true });
    if (cron.nextRun() === null) return 'the cron expression never fires';
    return undefined;
  } catch (error) {
    return (error as Error).message.replace(/^CronPattern: /, '');
  }
}

/** Wall-clock time and one-shot timers: part of the watchdog's one Clock. */
export type WallTimers = Pick<Clock, 'wallNow' | 'setTimeout' | 'clearTimeout'>;

const systemWallTimers: WallTimers = {
  wallNow: () => systemClock.wallNow(),
  setTimeout: (fn, ms) => systemClock.setTimeout(fn, ms, { unref: true }),
  clearTimeout: (handle) => systemClock.clearTimeout(handle),
};

/**
 * Longest single wait: the wall clock is looked at again at least this often, so a clock that
 * jumps (NTP's first sync on a board without a real-time clock, a resumed VM) is noticed within a
 * minute, and no wait exceeds what a timer holds.
 */
export const RECHECK_MS = 60_000;

export interface RestartScheduleOptions {
  expression: string;
  /** Called once per due time (a clock that jumped over several due times: once). */
  onDue: (due: Date) => void;
  timers?: WallTimers;
}

export class RestartSchedule {
  private readonly cron: Cron;
  private readonly timers: WallTimers;
  private timer: TimerHandle | undefined;
  private due: Date | undefined;
  private lastFired = Number.NEGATIVE_INFINITY;
  private running = false;

  constructor(private readonly options: RestartScheduleOptions) {
    this.cron = new Cron(options.expression, { paused: true });
    this.timers = options.timers ?? systemWallTimers;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.arm();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The next due time, while started. */
  next(): Date | undefined {
    return this.running ? this.due : undefined;
  }

  private arm(): void {
    if (!this.running) return;
    const now = this.timers.wallNow();
    // Never the same due time twice, even if the clock went back over it.
    const from = new Date(Math.max(now, this.lastFired));
    this.due = this.cron.nextRun(from) ?? undefined;
    if (!this.due) return;
    const delay = Math.min(RECHECK_MS, Math.max(0, this.due.getTime() - now));
    this.timer = this.timers.setTimeout(() => this.check(), delay);
  }

  private check(): void {
    this.timer = undefined;
    if (!this.running || !this.due) return;
    const due = this.due;
    const isDue = this.timers.wallNow() >= due.getTime();
    if (isDue) this.lastFired = due.getTime();
    this.arm(); // first, so that next() already names the following due time
    if (isDue) this.options.onDue(due);
  }
}

/**
 * restart.schedule as a plug-in: at each due time it asks for a restart with reason `scheduled`
 * (ignored when no bot runs: a bot in backoff or waiting starts fresh anyway).
 */
export class RestartScheduleMonitor implements Monitor {
  readonly name = 'schedule';
  private readonly schedule: RestartSchedule;
  private handle: SupervisorHandle | undefined;

  constructor(
    expression: string,
    private readonly logger: EventLog,
    timers?: WallTimers,
  ) {
    this.schedule = new RestartSchedule({ expression, onDue: (due) => this.onDue(due), ...(timers ? { timers } : {}) });
  }

  start(handle: SupervisorHandle): void {
    this.handle = handle;
    this.schedule.start();
    this.logger.emit('restart.planned', { next: this.schedule.next()?.toISOString() ?? null }, 'planned restarts (restart.schedule)');
  }

  stop(): void {
    this.schedule.stop();
  }

  private onDue(due: Date): void {
    // A fact for the health sink, which restarts a running bot (reason `scheduled`).
    const restarted = this.handle?.state() === 'running';
    this.handle?.health.fact({ type: 'schedule-due', due: due.toISOString() });
    this.logger.emit(
      'restart.planned',
      { due: due.toISOString(), restarted, next: this.schedule.next()?.toISOString() ?? null },
      restarted ? 'planned restart (restart.schedule)' : 'planned restart due, but no bot is running',
    );
  }
}
