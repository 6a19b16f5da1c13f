import type { Clock, TimerHandle } from '../clock/clock.js';
import { createRequire } from 'node:module';
import { humanDuration } from '../human-duration.js';
import type { Cron } from 'croner';
import type { EventLog } from '../log/events.js';
import type { Plugin, SupervisorHandle } from './types.js';

/**
 * `restart.schedule`: a cron expression (5 fields, or 6 with seconds first; `@daily`, `@hourly`…)
 * in the machine's local time (TZ). The watchdog restarts the bot at each due time with reason
 * `scheduled` (PM2's cron_restart).
 */

/**
 * Planned restarts at least this far apart. Each restart is a new QQ login of the bot's account
 * (frequent logins get an account risk-controlled: captchas, forced re-logins, a ban) and a burst
 * of API calls against its backend; what they are for — a leak that builds up over hours, a daily
 * session renewal — needs no more than a few an hour. A bot that fails sooner is the probes' job.
 */
export const MIN_SCHEDULE_INTERVAL_MS = 10 * 60_000;

/**
 * A planned restart is skipped while the bot has been up less than this (it was just started, by
 * a crash, a probe or SIGHUP): planned restarts never come on top of other restarts.
 */
export const MIN_UPTIME_FOR_SCHEDULED_MS = MIN_SCHEDULE_INTERVAL_MS / 2;

/**
 * How far the due times are followed to find an expression's shortest gap: two days from its first
 * due time. Every day a cron expression fires, it fires at the same times (its second, minute and
 * hour fields), so one day and the step to the next firing day show every gap there is (save the
 * hour a DST change skips or repeats, which the uptime guard covers). At most 2 × 144 due times for
 * an expression that passes; one that fails stops at its first short gap.
 */
const GAP_HORIZON_MS = 2 * 24 * 3_600_000;
const GAP_SAMPLE_RUNS = 2 * 24 * 6 + 2;

let cronClass: typeof Cron | undefined;

/**
 * croner, loaded the first time a schedule is read: a config without `restart.schedule` (and every
 * `check`, which validates the config on each run) does not pay for it. Its CommonJS build, through
 * require: the same class as its ES build.
 */
function newCron(expression: string): Cron {
  cronClass ??= (createRequire(import.meta.url)('croner') as typeof import('croner')).Cron;
  return new cronClass(expression, { paused: true });
}

/**
 * What is wrong with `restart.schedule` (the config error's text after the field name), or
 * undefined: not a cron expression, never fires, or fires more often than MIN_SCHEDULE_INTERVAL_MS
 * at any time of its day (`* 4 * * *` fires every minute from 04:00 to 04:59).
 */
export function scheduleProblem(expression: string, from = new Date()): string | undefined {
  const problem = cronError(expression);
  if (problem) return `expected a cron expression like "0 4 * * *" (${problem})`;
  const gap = shortestGap(newCron(expression), from);
  if (gap && gap.ms < MIN_SCHEDULE_INTERVAL_MS) {
    return (
      `fires every ${humanDuration(gap.ms)} (${gap.at.toISOString()}, then ${new Date(gap.at.getTime() + gap.ms).toISOString()}): ` +
      `planned restarts must be at least ${humanDuration(MIN_SCHEDULE_INTERVAL_MS)} apart, since each is a new QQ login ` +
      '(frequent logins get the account risk-controlled); e.g. "0 4 * * *" for 04:00 every day. A bot that fails needs probes, not a schedule'
    );
  }
  return undefined;
}

function shortestGap(cron: Cron, from: Date): { ms: number; at: Date } | undefined {
  let previous = cron.nextRun(from);
  let shortest: { ms: number; at: Date } | undefined;
  const end = (previous?.getTime() ?? 0) + GAP_HORIZON_MS;
  for (let i = 0; previous && i < GAP_SAMPLE_RUNS && previous.getTime() < end; i++) {
    const next = cron.nextRun(previous);
    if (!next) break;
    const ms = next.getTime() - previous.getTime();
    if (!shortest || ms < shortest.ms) shortest = { ms, at: previous };
    if (ms < MIN_SCHEDULE_INTERVAL_MS) break;
    previous = next;
  }
  return shortest;
}

/** Why `expression` is not a cron expression, or undefined when it is one. */
export function cronError(expression: string): string | undefined {
  try {
    const cron = newCron(expression);
    if (cron.nextRun() === null) return 'the cron expression never fires';
    return undefined;
  } catch (error) {
    return (error as Error).message.replace(/^CronPattern: /, '');
  }
}

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
  /** The watchdog's one Clock: croner computes the due times, the clock's wall time and timers wait for them. */
  clock: Clock;
}

export class RestartSchedule {
  private readonly cron: Cron;
  private readonly clock: Clock;
  private timer: TimerHandle | undefined;
  private due: Date | undefined;
  private lastFired = Number.NEGATIVE_INFINITY;
  private running = false;

  constructor(private readonly options: RestartScheduleOptions) {
    this.cron = newCron(options.expression);
    this.clock = options.clock;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.arm();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The next due time, while started. */
  next(): Date | undefined {
    return this.running ? this.due : undefined;
  }

  private arm(): void {
    if (!this.running) return;
    const now = this.clock.wallNow();
    // Never the same due time twice, even if the clock went back over it.
    const from = new Date(Math.max(now, this.lastFired));
    this.due = this.cron.nextRun(from) ?? undefined;
    if (!this.due) return;
    const delay = Math.min(RECHECK_MS, Math.max(0, this.due.getTime() - now));
    this.timer = this.clock.setTimeout(() => this.check(), delay, { unref: true });
  }

  private check(): void {
    this.timer = undefined;
    if (!this.running || !this.due) return;
    const due = this.due;
    const isDue = this.clock.wallNow() >= due.getTime();
    if (isDue) this.lastFired = due.getTime();
    this.arm(); // first, so that next() already names the following due time
    if (isDue) this.options.onDue(due);
  }
}

/**
 * restart.schedule as a plug-in: at each due time it asks for a restart with reason `scheduled`
 * (ignored when no bot runs: a bot in backoff or waiting starts fresh anyway; skipped when the bot
 * has been up less than MIN_UPTIME_FOR_SCHEDULED_MS: it was just started anyway).
 */
export class ScheduledRestarts implements Plugin {
  readonly name = 'schedule';
  private readonly schedule: RestartSchedule;
  private handle: SupervisorHandle | undefined;

  constructor(
    expression: string,
    private readonly logger: EventLog,
    private readonly clock: Clock,
  ) {
    this.schedule = new RestartSchedule({ expression, onDue: (due) => this.onDue(due), clock });
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
    const child = this.handle?.current();
    const uptimeMs = child ? this.clock.now() - child.spawnedAt : undefined;
    if (uptimeMs !== undefined && uptimeMs < MIN_UPTIME_FOR_SCHEDULED_MS) {
      this.logger.emit(
        'restart.planned',
        { due: due.toISOString(), restarted: false, skipped: 'recently-started', uptimeMs, next: this.schedule.next()?.toISOString() ?? null },
        `planned restart skipped: the bot has been up only ${humanDuration(uptimeMs)} (less than ${humanDuration(MIN_UPTIME_FOR_SCHEDULED_MS)})`,
      );
      return;
    }
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
