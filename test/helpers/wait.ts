// Tiny waiting helpers for tests: wait for the event you mean, never for a fixed time.
import type { EventEmitter } from 'node:events';

/**
 * Resolves with the first argument of the next `event` emission that satisfies `predicate`.
 * Only emissions after the call count: create the promise before triggering the event.
 */
export function waitFor<T = unknown>(
  emitter: EventEmitter,
  event: string,
  predicate: (value: T) => boolean = () => true,
  timeoutMs = 5000,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onEvent = (value: T): void => {
      if (!predicate(value)) return;
      cleanup();
      resolve(value);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`waitFor: no "${event}" event matching the predicate within ${timeoutMs} ms`));
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      emitter.off(event, onEvent);
    };
    emitter.on(event, onEvent);
  });
}

/** Polls `fn` every `intervalMs` until it returns a truthy value, and resolves with that value. */
export async function waitUntil<T>(
  fn: () => T | Promise<T>,
  timeoutMs = 5000,
  intervalMs = 20,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value as NonNullable<T>;
    if (Date.now() >= deadline) {
      throw new Error(`waitUntil: condition still false after ${timeoutMs} ms: ${String(fn).slice(0, 120)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
