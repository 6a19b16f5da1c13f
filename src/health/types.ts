import type { Evidence } from '../log/events.js';

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

/**
 * Evidence of an outage, logged with `backend.down` and `child.stop`. `lastReason`, not `reason`:
 * in `child.stop`, `reason` is the restart reason (`backend-down`).
 */
export type OutageEvidence = Evidence & { probe: string; lastReason: string };

/**
 * What the backend's reducer (src/backend/readiness.ts) concluded, as facts for the health sink.
 * The sink decides from them and the kind's policy whether the bot restarts; the state file,
 * the status endpoint and the backend restarter subscribe to them. `account`: the QQ account
 * (self_id) a fact is about, when the backend knows several (NapCat over reverse WebSocket).
 */
export type BackendFact =
  /** Ready (again): every part of the backend says yes. */
  | { type: 'ready'; probe: string; downMs?: number; account?: number }
  /** A confirmed outage. */
  | { type: 'down'; probe: string; evidence: OutageEvidence; account?: number }
  /** The link dropped and came straight back; `lostAt` on the pipeline's clock. */
  | { type: 'blip'; probe: string; lostAt: number; evidence: OutageEvidence; account?: number }
  /** `evidence.type`: what said so (a mirai event name, `heartbeat`, `bot_offline`). */
  | { type: 'account-offline'; probe: string; evidence: Evidence & { type: string }; account?: number }
  | { type: 'account-online'; probe: string; evidence: Evidence & { type: string }; account?: number }
  /** A QQ account is linked to the watchdog (an open link with fresh heartbeats) or no longer. */
  | { type: 'linked'; probe: string; key: string; linked: boolean; account?: number };

/** A planned restart is due (restart.schedule); the sink restarts a running bot with reason `scheduled`. */
export type ScheduleFact = { type: 'schedule-due'; due: string };

/** Every fact a source reports besides probe results. */
export type Fact = BackendFact | ScheduleFact;

/** What a source reports into: the health sink (src/health/health-sink.ts). */
export interface HealthReporter {
  report(result: HealthResult): void;
}

/** The backend's port into the health pipeline: its probes' results and its facts. It cannot restart. */
export interface BackendHealthPort extends HealthReporter {
  fact(fact: Fact): void;
}
