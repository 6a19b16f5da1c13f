import { systemClock, type Clock } from '../clock/clock.js';

/** The time a backend module needs: the watchdog's one Clock, or a part of it. */
export type Timers = Pick<Clock, 'now' | 'setTimeout' | 'clearTimeout'>;

/** The system clock; its timers are unref'd (they never hold the process open). */
export const systemTimers: Timers = {
  now: () => systemClock.now(),
  setTimeout: (fn, ms) => systemClock.setTimeout(fn, ms, { unref: true }),
  clearTimeout: (handle) => systemClock.clearTimeout(handle),
};

/** The longest delay a Node timer holds; a longer wait is armed in steps. */
export const MAX_TIMER_MS = 2_147_483_647;
