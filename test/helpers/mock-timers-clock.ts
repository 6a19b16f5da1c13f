import { sleepOn, type Clock, type TimerHandle } from '../../src/clock/clock.js';

/**
 * A Clock on the global timers and Date, for tests that fake them with `t.mock.timers`
 * (enable 'setTimeout' and 'Date'): the code under test sees only this clock.
 */
export function mockTimersClock(): Clock {
  const clock: Clock = {
    now: () => Date.now(),
    wallNow: () => Date.now(),
    setTimeout: (fn, ms, options) => {
      const timer = setTimeout(fn, ms);
      if (options?.unref) timer.unref?.();
      return timer as unknown as TimerHandle;
    },
    clearTimeout: (handle) => {
      if (handle !== undefined) clearTimeout(handle as unknown as NodeJS.Timeout);
    },
    sleep: (ms, signal) => sleepOn(clock, ms, signal),
  };
  return clock;
}
