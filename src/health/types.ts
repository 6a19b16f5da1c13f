import type { Evidence } from '../log/events.js';
import type { RestartReason } from '../supervisor/restart-reasons.js';

/**
 * - healthy / unhealthy: what the probe saw
 * - misconfigured: our config points at something unusable (never a reason to restart)
 * - starting: unhealthy, but the bot is within startup.grace (does not count)
 * - unknown: nothing to judge yet (first check pending, a dropped link being confirmed)
 */
export type HealthVerdict = 'healthy' | 'unhealthy' | 'misconfigured' | 'starting' | 'unknown';

/** What every source of health reports: a polled probe, the backend link, the output scanner… */
export interface HealthResult {
  /** Stable probe name: "heartbeat", "link", "output-pattern", "mirai-http", "onebot-ws"… */
  probe: string;
  verdict: HealthVerdict;
  /** Short, human, secret-free. */
  reason: string;
  /** What was seen (file age, queue sizes, the matched line…); logged with probe.failed and child.stop. */
  evidence?: Evidence;
  latencyMs: number;
}

/** What a source reports into: the health sink (src/health/health-sink.ts). */
export interface HealthReporter {
  report(result: HealthResult): void;
}

/** The backend's port into the health pipeline. */
export interface BackendHealthPort extends HealthReporter {
  /**
   * The backend decided that the running bot must go: a confirmed outage or a blip (the bot's own
   * link died with ours): `backend-down`; the account came back after a relogin: `account-relogin`.
   * The sink asks the supervisor; false when no bot runs or it is already being stopped.
   */
  restart(reason: Extract<RestartReason, 'backend-down' | 'account-relogin'>, evidence: Evidence): boolean;
  /** When the running bot was spawned (on the pipeline's clock); undefined when none runs. */
  botSpawnedAt(): number | undefined;
}
