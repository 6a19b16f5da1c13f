import type { RestartReason } from '../supervisor/restart-reasons.js';
import type { HealthResult } from './types.js';

/** What the health sink does with a probe's results. */
export interface ProbeRule {
  /** Unhealthy results in a row before the probe counts as failed (`probe.failed`). */
  threshold: number;
  /** A failure restarts the bot with this reason; undefined: reported only (the backend decides outages itself). */
  restart?: RestartReason;
  /** The reason for one failed result, when a probe has several (the link: lost or stalled); default `restart`. */
  restartFor?: (result: HealthResult) => RestartReason;
  /** Unhealthy within startup.grace after a spawn is `starting` and does not count. */
  grace: boolean;
  /** The probe watches one run of the bot: its state starts over with each spawn. */
  resetOnSpawn: boolean;
}

/** A probe without a rule: reported, logged on transitions, never a restart. */
export const DEFAULT_RULE: ProbeRule = { threshold: 1, grace: false, resetOnSpawn: false };

/** A probe of the running bot that restarts it on failure. */
export function botProbeRule(restart: RestartReason, grace = true, restartFor?: (result: HealthResult) => RestartReason): ProbeRule {
  return { threshold: 1, restart, grace, resetOnSpawn: true, ...(restartFor ? { restartFor } : {}) };
}
