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
}

/** Every reason's rules, in one table (README: "How supervision works"). */
export const REASON_RULES: { readonly [R in RestartReason]: ReasonRules } = {
  exited: { countsTowardLimit: true, bypassesPolicy: false, backoff: true, waitForBackend: 'if-configured', outage: false },
  sighup: { countsTowardLimit: false, bypassesPolicy: true, backoff: false, waitForBackend: 'if-configured', outage: false },
  'backend-down': { countsTowardLimit: false, bypassesPolicy: true, backoff: false, waitForBackend: 'always', outage: true },
  'account-relogin': { countsTowardLimit: false, bypassesPolicy: true, backoff: false, waitForBackend: 'always', outage: true },
  'heartbeat-stale': { countsTowardLimit: true, bypassesPolicy: false, backoff: true, waitForBackend: 'if-configured', outage: false },
  'link-lost': { countsTowardLimit: true, bypassesPolicy: false, backoff: true, waitForBackend: 'if-configured', outage: false },
  'link-stalled': { countsTowardLimit: true, bypassesPolicy: false, backoff: true, waitForBackend: 'if-configured', outage: false },
  'output-match': { countsTowardLimit: true, bypassesPolicy: false, backoff: true, waitForBackend: 'if-configured', outage: false },
  'output-silent': { countsTowardLimit: true, bypassesPolicy: false, backoff: true, waitForBackend: 'if-configured', outage: false },
  // restart.schedule: planned, so never a failure of the bot, and whatever the policy says.
  scheduled: { countsTowardLimit: false, bypassesPolicy: true, backoff: false, waitForBackend: 'if-configured', outage: false },
};

export function reasonRules(reason: RestartReason): ReasonRules {
  return REASON_RULES[reason];
}
