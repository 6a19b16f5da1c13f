import { performance } from 'node:perf_hooks';

/** An opaque handle for a timer of a Clock. */
export type TimerHandle = { readonly __timer: true };

/**
 * The one source of time: the supervisor, plug-ins, probe loops, the backend link, kills and the
 * output scanner all take one, so that tests run them on virtual time (test/helpers/fake-clock.ts)
 * and never touch the real clock.
 */
export interface Clock {
  /** Monotonic milliseconds (a wall-clock step must not shorten or stretch a wait). */
  now(): number;
  /** Wall-clock milliseconds since the epoch, for timestamps people read (ISO dates). */
  wallNow(): number;
  /** Runs `fn` once after `ms`. `unref`: the timer alone does not keep the process alive. */
  setTimeout(fn: () => void, ms: number, options?: { unref?: boolean }): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
  /** Resolves after `ms`, or early (without error) when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock: performance.now() and the global timers. */
export const systemClock: Clock = {
  now: () => Math.round(performance.now()),
  wallNow: () => Date.now(),
  setTimeout: (fn, ms, options) => {
    const timer = setTimeout(fn, ms);
    if (options?.unref) timer.unref();
    return timer as unknown as TimerHandle;
  },
  clearTimeout: (handle) => {
    if (handle !== undefined) clearTimeout(handle as unknown as NodeJS.Timeout);
  },
  sleep: (ms, signal) => sleepOn(systemClock, ms, signal),
};

/** `sleep` for any clock, built on its setTimeout. */
export function sleepOn(clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = clock.setTimeout(done, ms);
    function done() {
      clock.clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
