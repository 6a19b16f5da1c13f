import { EXIT, statusOf } from '../exit-codes.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { dampOutage, type FlappingOptions } from './outage-damping.js';
import { reasonRules, type RestartReason } from './restart-reasons.js';
import type { ChildExit } from './types.js';

/** How one run of the bot ended. */
export interface RunOutcome {
  exit: ChildExit;
  uptimeMs: number;
  /** The stop the watchdog asked for (a probe, the backend, SIGHUP), if it asked for one. */
  requested: RestartReason | undefined;
}

/** What the decision needs to know besides the outcome. Plain data: the decision is pure. */
export interface DecisionContext {
  policy: 'always' | 'on-failure' | 'never';
  /** A stop signal (SIGTERM, SIGINT, SIGQUIT) arrived. */
  shuttingDown: boolean;
  /** SIGHUP arrived while the bot was going down: start again now. */
  hangup: boolean;
  /** The bot ran at least once before this outcome (a spawn failure then is retried). */
  everStarted: boolean;
  /** The backend gate's readiness, or undefined without a gate. */
  backendReady: boolean | undefined;
  /** startup.waitForBackend */
  waitForBackend: boolean;
  now: number;
  limit: { count: number; window: number };
  /** Times (on `now`'s clock) of the restarts that counted toward the limit. */
  recentRestarts: readonly number[];
  backoff: BackoffOptions & { resetAfter: number };
  /** The backoff attempt of the previous restart (0 = none yet, or reset). */
  attempt: number;
  random: () => number;
  /** restart.flapping: the damping of outage restarts; absent = none. */
  flapping?: FlappingOptions;
  /** Times (on `now`'s clock) of the outage restarts within the flapping window. */
  recentOutages?: readonly number[];
}

export type RestartDecision =
  | { action: 'exit'; code: number; why: 'shutdown' | 'cannot-start' | 'policy' | 'limit'; reason?: RestartReason; restarts?: number }
  | {
      action: 'restart';
      reason: RestartReason;
      attempt: number;
      delayMs: number;
      waitForBackend: boolean;
      /** Set when restart.flapping delays this outage restart: the outage restarts within its window. */
      flapping?: { outages: number; windowMs: number };
    };

export interface DecisionResult {
  decision: RestartDecision;
  /** The exit status of the bot (or 126/127 when it could not be started). */
  status: number;
  /** The limit's restart times after this decision. */
  recentRestarts: number[];
  /** The backoff attempt after this decision. */
  attempt: number;
  /** The outage restarts within the flapping window after this decision. */
  recentOutages: number[];
}

/**
 * After a run of the bot: exit (with which code) or restart (after which delay, waiting for the
 * backend or not). Every reason's rules come from the one table in restart-reasons.ts.
 */
export function decideAfterRun(outcome: RunOutcome, ctx: DecisionContext): DecisionResult {
  const spawnError = outcome.exit.error;
  const status = spawnError ? (spawnError.code === 'ENOENT' ? EXIT.NOT_FOUND : EXIT.NOT_EXECUTABLE) : statusOf(outcome.exit);
  const recent = ctx.recentRestarts.filter((at) => at > ctx.now - ctx.limit.window);
  const outages = ctx.flapping ? (ctx.recentOutages ?? []).filter((at) => at > ctx.now - (ctx.flapping as FlappingOptions).window) : [];
  const keep = (decision: RestartDecision, recentRestarts = recent, attempt = ctx.attempt, recentOutages = outages): DecisionResult => ({
    decision,
    status,
    recentRestarts,
    attempt,
    recentOutages,
  });

  // A command that never ran (not found, not executable) will not start on a retry either.
  if (spawnError && !ctx.everStarted) return keep({ action: 'exit', code: status, why: 'cannot-start' });
  if (ctx.shuttingDown) return keep({ action: 'exit', code: status, why: 'shutdown' });

  const reason = ctx.hangup ? 'sighup' : reasonFor(outcome, ctx.backendReady);
  const rules = reasonRules(reason);
  if (!rules.bypassesPolicy && !policyAllows(ctx.policy, reason, outcome.exit)) {
    return keep({ action: 'exit', code: status, why: 'policy', reason });
  }
  let recentRestarts = recent;
  if (rules.countsTowardLimit) {
    if (ctx.limit.count > 0 && recent.length >= ctx.limit.count) {
      return keep({ action: 'exit', code: EXIT.GAVE_UP, why: 'limit', reason, restarts: recent.length });
    }
    recentRestarts = [...recent, ctx.now];
  }
  // Only restarts that wait a backoff count as attempts: an outage or a SIGHUP does not make the
  // next crash wait longer.
  let attempt = ctx.attempt;
  let delayMs = 0;
  if (rules.backoff) {
    attempt = (outcome.uptimeMs >= ctx.backoff.resetAfter ? 0 : ctx.attempt) + 1;
    delayMs = backoffDelay(attempt, ctx.backoff, ctx.random);
  }
  const waitForBackend = rules.waitForBackend === 'always' || ctx.waitForBackend;
  if (rules.outage) {
    // A flapping backend: the start after the stop waits (restart.flapping), the stop never does.
    const damping = dampOutage(ctx.now, outages, ctx.flapping);
    const decision: RestartDecision = { action: 'restart', reason, attempt: 0, delayMs: damping.delayMs, waitForBackend };
    return keep(damping.flapping ? { ...decision, flapping: damping.flapping } : decision, recentRestarts, attempt, damping.recent);
  }
  return keep({ action: 'restart', reason, attempt: rules.backoff ? attempt : 0, delayMs, waitForBackend }, recentRestarts, attempt);
}

/** Why the bot went down: the stop that was asked for, or its own exit (during a backend outage, that outage). */
export function reasonFor(outcome: RunOutcome, backendReady: boolean | undefined): RestartReason {
  if (outcome.requested) return outcome.requested;
  if (backendReady === false) return 'backend-down';
  return 'exited';
}

/** The policy judges the bot's own failures: its exit, a hang a probe saw. */
function policyAllows(policy: DecisionContext['policy'], reason: RestartReason, exit: ChildExit): boolean {
  if (policy === 'never') return false;
  if (policy === 'on-failure' && reason === 'exited') return !(exit.code === 0 && exit.signal === null);
  return true;
}
