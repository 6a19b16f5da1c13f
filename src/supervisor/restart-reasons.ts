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
  | 'output-match'
  | 'output-silent'
  | 'scheduled';

export interface ReasonRules {
  /** Counts toward restart.limit (a backend outage never does). */
  countsTowardLimit: boolean;
  /** Waits the backoff delay before the next start. */
  backoff: boolean;
  /** Waits for the backend to be ready before the next start. */
  waitForBackend: boolean;
}

const RULES: Record<RestartReason, ReasonRules> = {
  exited: { countsTowardLimit: true, backoff: true, waitForBackend: true },
  sighup: { countsTowardLimit: false, backoff: false, waitForBackend: false },
  'backend-down': { countsTowardLimit: false, backoff: false, waitForBackend: true },
  'account-relogin': { countsTowardLimit: false, backoff: false, waitForBackend: true },
  'heartbeat-stale': { countsTowardLimit: true, backoff: true, waitForBackend: true },
  'link-lost': { countsTowardLimit: true, backoff: true, waitForBackend: true },
  'output-match': { countsTowardLimit: true, backoff: true, waitForBackend: true },
  'output-silent': { countsTowardLimit: true, backoff: true, waitForBackend: true },
  // restart.schedule: planned, so never a failure; it must also bypass restart.policy.
  scheduled: { countsTowardLimit: false, backoff: false, waitForBackend: true },
};

export function reasonRules(reason: RestartReason): ReasonRules {
  return RULES[reason];
}
