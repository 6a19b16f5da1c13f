/**
 * Why the bot is stopped or restarted. Short stable strings: they appear in logs, the
 * state file and metrics.
 */
export type RestartReason =
  | 'exited'
  | 'sighup'
  | 'backend-down'
  | 'account-relogin'
  | 'heartbeat-stale'
  | 'link-lost'
  | 'link-stalled'
  | 'output-match'
  | 'output-silent'
  | 'scheduled';

export interface ReasonRules {
  /** Counts toward restart.limit (a backend outage or an operator's SIGHUP never does). */
  countsTowardLimit: boolean;
  /** Restarts whatever restart.policy says (the watchdog or the operator stopped the bot, not its own failure). */
  bypassesPolicy: boolean;
  /** Waits the backoff delay before the next start; otherwise starts at once. */
  backoff: boolean;
  /**
   * Before the next start: `always` waits for the backend to be ready (an outage is waited out
   * even when startup.waitForBackend is off); `if-configured` waits when startup.waitForBackend is on.
   */
  waitForBackend: 'always' | 'if-configured';
  /**
   * A restart the backend caused (an outage, a blip, a relogin): never counted toward the limit,
   * so restart.flapping damps them when they come too often (a flapping backend).
   */
  outage: boolean;
  /**
   * The bot's loop is not running (a stalled reader, a frozen heartbeat, silence): it cannot run
   * a graceful shutdown either, so SIGKILL follows stop.signal after stop.hungTimeout instead of
   * stop.timeout.
   */
  hung: boolean;
}

/** Every reason's rules, in one table (README: "How supervision works"). */
export const REASON_RULES: { readonly [R in RestartReason]: ReasonRules } = {
  exited: { countsTowardLimit: true, bypassesPolicy: false, backoff: true, waitForBackend: 'if-configured', outage: false, hung: false },
  sighup: { countsTowardLimit: false, bypassesPolicy: true, backoff: false, waitForBackend: 'if-configured', outage: false, hung: false },
  'backend-down': { countsTowardLimit: false, bypassesPolicy: true, backoff: false, waitForBackend: 'always', outage: true, hung: false },
  'account-relogin': { countsTowardLimit: false, bypassesPolicy: true, backoff: false, waitForBackend: 'always', outage: true, hung: false },
  'heartbeat-stale': { countsTowardLimit: true, bypassesPolicy: false, backoff: true, waitForBackend: 'if-configured', outage: false, hung: true },
  'link-lost': { countsTowardLimit: true, bypassesPolicy: false, backoff: true, waitForBackend: 'if-configured', outage: false, hung: false },
  'link-stalled': { countsTowardLimit: true, bypassesPolicy: false, backoff: true, waitForBackend: 'if-configured', outage: false, hung: true },
  'output-match': { countsTowardLimit: true, bypassesPolicy: false, backoff: true, waitForBackend: 'if-configured', outage: false, hung: false },
  'output-silent': { countsTowardLimit: true, bypassesPolicy: false, backoff: true, waitForBackend: 'if-configured', outage: false, hung: true },
  // restart.schedule: planned, so never a failure of the bot, and whatever the policy says.
  scheduled: { countsTowardLimit: false, bypassesPolicy: true, backoff: false, waitForBackend: 'if-configured', outage: false, hung: false },
};

export function reasonRules(reason: RestartReason): ReasonRules {
  return REASON_RULES[reason];
}

/**
 * How long a stop waits between stop.signal and SIGKILL: stop.hungTimeout (never longer than
 * stop.timeout) when the reason says the bot is hung, stop.timeout otherwise — a shutdown, an exit
 * (what the bot left behind) and every other reason.
 */
export function stopTimeoutFor(reason: RestartReason | undefined, stop: { timeout: number; hungTimeout?: number | undefined }): number {
  if (reason === undefined || stop.hungTimeout === undefined || !REASON_RULES[reason].hung) return stop.timeout;
  return Math.min(stop.hungTimeout, stop.timeout);
}
