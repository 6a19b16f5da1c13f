import type { RestartReason } from '../supervisor/restart-reasons.js';
import type { HealthResult } from './types.js';

/** What the health sink does with a probe's results. */
export interface ProbeRule {
  /** Unhealthy results in a row before the probe counts as failed (`probe.failed`). */
  threshold: number;
  /** A failure restarts the bot with this reason; undefined: reported only. */
  restart?: RestartReason;
  /** The reason for one failed result, when a probe has several (the link: lost or stalled); default `restart`. */
  restartFor?: (result: HealthResult) => RestartReason;
  /**
   * A grace subject: unhealthy within startup.grace after a spawn is `starting` and does not
   * count, until every grace subject has reported healthy (the bot is up: the grace ends then).
   */
  grace: boolean;
  /**
   * For a grace subject: whether a healthy result proves the bot up (a link seen, a file written
   * since the spawn), not merely "not failed yet". Default: any healthy result.
   */
  upWhen?: (result: HealthResult, spawnedAt: number, now: number) => boolean;
  /** The probe watches one run of the bot: its state starts over with each spawn. */
  resetOnSpawn: boolean;
  /**
   * probes.link.listen with backend.kind "onebot-reverse": a missing link to the bot is judged
   * against NapCat's link to the watchdog (src/health/link-verdict.ts), with probes.link.grace.
   */
  differential?: { grace: number };
}

/** A probe without a rule: reported, logged on transitions, never a restart. */
export const DEFAULT_RULE: ProbeRule = { threshold: 1, grace: false, resetOnSpawn: false };

/** A probe of the running bot that restarts it on failure. */
export function botProbeRule(restart: RestartReason, grace = true, restartFor?: (result: HealthResult) => RestartReason): ProbeRule {
  const rule: ProbeRule = { threshold: 1, restart, grace, resetOnSpawn: true };
  if (restartFor) rule.restartFor = restartFor;
  return rule;
}

/**
 * What the backend's facts mean for the bot, from the kind's policy (src/backend/policy.ts):
 * whether a confirmed outage or a blip restarts it (`backend-down`), and whether an account
 * that comes back online does (`account-relogin`).
 */
export interface BackendRule {
  restartOnOutage: boolean;
  restartOnRelogin: boolean;
}

/** Facts reported only (no backend, or NapCat over reverse WebSocket). */
export const REPORT_ONLY: BackendRule = { restartOnOutage: false, restartOnRelogin: false };
