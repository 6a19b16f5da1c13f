import type { Readable, Writable } from 'node:stream';

/**
 * Passes a child's stream through to ours, byte for byte, with backpressure. Scanners attach their
 * own 'data' listeners to the child stream; they see the same chunks and change nothing.
 *
 * When our side goes away (a closed pipe: EPIPE), the bot's output is drained and dropped from
 * then on: a bot blocked on a full pipe would hang, and the watchdog must not crash either.
 */
export function relayOutput(from: Readable | null, to: Writable): void {
  if (!from) return;
  from.on('error', () => {});
  if (to.destroyed || to.writableEnded) {
    from.resume();
    return;
  }
  const onBroken = () => {
    from.unpipe(to);
    from.resume();
  };
  to.once('error', onBroken);
  from.once('close', () => to.off('error', onBroken));
  from.pipe(to, { end: false });
}
