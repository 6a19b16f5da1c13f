import { performance } from 'node:perf_hooks';

/**
 * The time a backend module needs: monotonic `now()` and one-shot timers. Shaped so that the
 * watchdog's Clock can be passed as it is, and tests pass virtual timers
 * (test/helpers/virtual-timers.ts) to assert timings exactly.
 */
export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** performance.now() and the global timers; the timers are unref'd (they never hold the process open). */
export const systemTimers: Timers = {
  now: () => Math.round(performance.now()),
  setTimeout: (fn, ms) => {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return timer;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** The longest delay a Node timer holds; a longer wait is armed in steps. */
export const MAX_TIMER_MS = 2_147_483_647;
