/**
 * The one heartbeat deadline, for the OneBot link the watchdog dials (forward WebSocket,
 * src/backend/ws-connection.ts) and for NapCat's link to the watchdog (reverse, readiness.ts):
 * a link whose heartbeats stop is dead after HEARTBEAT_MISSES announced intervals.
 *
 * The announced interval is kept within what a OneBot server really sends: at least 1 s (an absurd
 * `1` from a server that beats at its usual pace must not look dead a moment after each heartbeat,
 * a restart storm) and at most 5 minutes. NapCat's default is 30 s and go-cqhttp's 5 s; NapCat's
 * WebUI offers seconds, and no implementation we know beats slower than a minute. A server that
 * announces a day (or 1e12 ms) would otherwise blind the probe for that long; 5 minutes is ten
 * times NapCat's default, so a real setting is never cut short.
 */
export const MIN_HEARTBEAT_INTERVAL_MS = 1000;
export const MAX_HEARTBEAT_INTERVAL_MS = 5 * 60_000;
/** Heartbeats missed in a row that mean the link is dead. */
export const HEARTBEAT_MISSES = 2;
/** NapCat's default heartbeat interval: assumed until a server announces its own. */
export const NAPCAT_DEFAULT_INTERVAL_MS = 30_000;

/** The heartbeat interval a link goes by, for the one the server announced. */
export function heartbeatIntervalOf(announcedMs: number): number {
  return Math.min(MAX_HEARTBEAT_INTERVAL_MS, Math.max(MIN_HEARTBEAT_INTERVAL_MS, announcedMs));
}

/** When a link that beat (or opened) at `at` is dead without another heartbeat. */
export function heartbeatDeadline(at: number, intervalMs: number, misses = HEARTBEAT_MISSES): number {
  return at + misses * intervalMs;
}

/**
 * How long a link that closed may stay away before it is down, whatever interval was announced:
 * NapCat reconnects every few seconds (5 s by default), so twice its default interval (60 s) at most.
 */
export function closedLinkDeadline(closedAt: number, intervalMs: number): number {
  return heartbeatDeadline(closedAt, Math.min(intervalMs, NAPCAT_DEFAULT_INTERVAL_MS));
}
