/**
 * Bounds for the heartbeat interval a OneBot server announces on the watchdog's link (forward
 * WebSocket). NapCat's default is 30 s, go-cqhttp's 5 s; an absurd one (1 ms) counts as 1 s, as for
 * onebot-reverse: a server that says 1 ms but beats at its usual pace must not look dead a moment
 * after each heartbeat (a restart storm).
 */
export const MIN_HEARTBEAT_INTERVAL_MS = 1000;
const MAX_HEARTBEAT_INTERVAL_MS = 10 * 60_000;

/** The heartbeat interval a link goes by, for the one the server announced. */
export function heartbeatIntervalOf(announcedMs: number): number {
  return Math.min(MAX_HEARTBEAT_INTERVAL_MS, Math.max(MIN_HEARTBEAT_INTERVAL_MS, announcedMs));
}
