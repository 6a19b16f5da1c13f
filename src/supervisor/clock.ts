import { performance } from 'node:perf_hooks';
import type { Clock } from './types.js';

/**
 * Monotonic time (a wall-clock step must not shorten or stretch a backoff) and abortable sleeps.
 * Uses the global timers, so tests can replace them with fake timers.
 */
export const systemClock: Clock = {
  now: () => Math.round(performance.now()),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    }),
};
