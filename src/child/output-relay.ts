import type { Readable, Writable } from 'node:stream';

/**
 * Passes a child's stream through to ours, byte for byte, with backpressure. Scanners attach their
 * own 'data' listeners to the child stream; they see the same chunks and change nothing.
 */
export function relayOutput(from: Readable | null, to: Writable): void {
  if (!from) return;
  from.pipe(to, { end: false });
  // Our stdout may be a closed pipe (EPIPE): the bot must not be hurt by that, nor the watchdog.
  from.on('error', () => {});
}
