import type { EventFields, EventLog } from '../log/events.js';
import type { HookOutcome } from './hook-outcome.js';
import { HOOK_ANY_EVENT, HOOK_OWN_EVENT_PREFIX } from './hook-events.js';
import { hookEnv, toPlain, type HookRecord } from './hook-payload.js';
import { redactUrl } from './redact-url.js';

export type { HookRecord } from './hook-payload.js';

/** One entry of the config's `hooks`, as validated (timeout in ms). */
export interface HookSpec {
  on: readonly string[];
  command?: readonly string[] | undefined;
  url?: string | undefined;
  timeout: number;
}

/** The side effects, injected: the real ones run a command or POST to a URL. */
export interface HookEffects {
  runCommand(run: {
    command: readonly string[];
    env: Record<string, string>;
    input: string;
    timeoutMs: number;
    signal: AbortSignal;
  }): Promise<HookOutcome>;
  postUrl(run: { url: string; body: string; timeoutMs: number; signal: AbortSignal }): Promise<HookOutcome>;
}

/** The part of the event log the runner uses. */
export type HookLogger = Pick<EventLog, 'emit'>;

export interface HookRunnerOptions {
  hooks: readonly HookSpec[];
  effects: HookEffects;
  logger: HookLogger;
  /** Removes secrets from a record before it leaves the watchdog (src/log/redact.ts). */
  redact: (value: unknown) => unknown;
  /** Hooks running at once. Default 2. */
  concurrency?: number;
  /** Runs waiting for a free slot; past this the oldest waiting run is dropped. Default 100. */
  queueLimit?: number;
}

export interface HookStats {
  running: number;
  queued: number;
  started: number;
  succeeded: number;
  failed: number;
  dropped: number;
}

interface Job {
  index: number;
  hook: HookSpec;
  record: Record<string, unknown>;
}

/**
 * Runs the config's hooks for log records: `handle(record)` queues one run per hook whose `on`
 * names the record's event (or "*"), and returns at once. At most `concurrency` run at the same
 * time; a full queue drops its oldest run and counts it (`hook.dropped`, logged once the queue
 * has room again). Each run has its hook's timeout. A hook that fails, hangs or cannot start is
 * logged as `hook.failed` (a url hook's URL without its secrets) and never throws into the
 * caller: supervision goes on whatever the hooks do. Records of the runner's own events
 * (`hook.*`) are never passed to hooks.
 */
export class HookRunner {
  private readonly hooks: readonly HookSpec[];
  private readonly concurrency: number;
  private readonly queueLimit: number;
  private readonly queue: Job[] = [];
  private readonly abort = new AbortController();
  private readonly idleWaiters = new Set<() => void>();
  private running = 0;
  private droppedSinceReport = 0;
  private closed = false;
  private pumpScheduled = false;
  private readonly counts = { started: 0, succeeded: 0, failed: 0, dropped: 0 };

  constructor(private readonly options: HookRunnerOptions) {
    this.hooks = options.hooks;
    this.concurrency = Math.max(1, options.concurrency ?? 2);
    this.queueLimit = Math.max(1, options.queueLimit ?? 100);
  }

  /** True when some hook listens to `event`. */
  wants(event: string): boolean {
    if (event.startsWith(HOOK_OWN_EVENT_PREFIX)) return false;
    return this.hooks.some((hook) => matches(hook, event));
  }

  /** Queues the hooks that listen to this record's event. Never throws, never waits. */
  handle(record: HookRecord): void {
    try {
      if (this.closed || typeof record?.event !== 'string' || !this.wants(record.event)) return;
      // Plain data, scrubbed once more: a record may come from anywhere, not only the logger.
      const payload = this.options.redact(toPlain(record)) as Record<string, unknown>;
      this.hooks.forEach((hook, index) => {
        if (matches(hook, record.event)) this.enqueue({ index, hook, record: payload });
      });
      this.schedulePump();
    } catch (error) {
      this.safeEmit('hook.failed', { reason: `internal: ${(error as Error)?.message ?? String(error)}` }, 'a hook could not be queued');
    }
  }

  stats(): HookStats {
    return { running: this.running, queued: this.queue.length, ...this.counts };
  }

  /**
   * Waits until every queued run has finished, at most `timeoutMs`; then stops what still runs
   * (commands get SIGKILL) and drops the rest. Used when the watchdog exits.
   */
  async drain(timeoutMs: number): Promise<void> {
    if (this.running > 0 || this.queue.length > 0) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.idleWaiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        this.idleWaiters.add(done);
      });
    }
    this.close();
  }

  /** Stops every running hook and drops what is queued; later records are ignored. */
  close(): void {
    this.closed = true;
    this.counts.dropped += this.queue.length;
    this.queue.length = 0;
    this.abort.abort();
  }

  private enqueue(job: Job): void {
    if (this.queue.length >= this.queueLimit) {
      this.queue.shift();
      this.counts.dropped++;
      this.droppedSinceReport++;
    }
    this.queue.push(job);
  }

  /** Starts the queued runs on the next turn: spawning takes milliseconds the logger's caller must not wait. */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.concurrency && this.queue.length > 0 && !this.closed) {
      const job = this.queue.shift() as Job;
      this.running++;
      this.counts.started++;
      void this.runJob(job).finally(() => {
        this.running--;
        this.pump();
        this.reportDrops();
        if (this.running === 0 && this.queue.length === 0) {
          for (const waiter of [...this.idleWaiters]) waiter();
          this.idleWaiters.clear();
        }
      });
    }
  }

  private async runJob(job: Job): Promise<void> {
    const { hook, record } = job;
    let outcome: HookOutcome;
    try {
      const input = `${JSON.stringify(record)}\n`;
      if (hook.command) {
        const { signal } = this.abort;
        outcome = await this.options.effects.runCommand({ command: hook.command, env: hookEnv(record), input, timeoutMs: hook.timeout, signal });
      } else if (hook.url) {
        outcome = await this.options.effects.postUrl({ url: hook.url, body: input, timeoutMs: hook.timeout, signal: this.abort.signal });
      } else {
        outcome = { ok: false, reason: 'neither command nor url' };
      }
    } catch (error) {
      outcome = { ok: false, reason: `internal: ${(error as Error)?.message ?? String(error)}` };
    }
    if (outcome.ok) {
      this.counts.succeeded++;
      return;
    }
    this.counts.failed++;
    this.safeEmit(
      'hook.failed',
      {
        hook: job.index,
        ...(hook.command ? { command: hook.command[0] } : { url: redactUrl(hook.url ?? '') }),
        for: String(record['event']),
        reason: outcome.reason,
        timedOut: outcome.timedOut === true,
      },
      `hook ${job.index} failed for ${String(record['event'])}: ${outcome.reason}`,
    );
  }

  private reportDrops(): void {
    if (this.droppedSinceReport === 0 || this.queue.length >= this.queueLimit) return;
    const dropped = this.droppedSinceReport;
    this.droppedSinceReport = 0;
    this.safeEmit(
      'hook.dropped',
      { dropped, total: this.counts.dropped, queueLimit: this.queueLimit },
      `${dropped} hook runs dropped: more events than the hooks could keep up with`,
    );
  }

  private safeEmit<E extends 'hook.failed' | 'hook.dropped'>(event: E, fields: EventFields[E], message: string): void {
    try {
      this.options.logger.emit(event, fields, message);
    } catch {
      // a logger that fails must not stop the hooks either
    }
  }
}

function matches(hook: HookSpec, event: string): boolean {
  return hook.on.includes(event) || hook.on.includes(HOOK_ANY_EVENT);
}
