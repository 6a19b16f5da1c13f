import type { BackendRule } from '../health/probe-rules.js';

/** backend.kind, for the backends the watchdog watches. */
export type BackendKind = 'mirai' | 'onebot' | 'onebot-reverse' | 'http' | 'tcp';

/**
 * What a backend kind's facts mean. The drivers differ in who dials and whether there is a
 * poll; the rest is this table, read by the one reducer (readiness.ts) and the health sink.
 */
export interface BackendPolicy {
  /** Starts wait until the backend is ready (with startup.waitForBackend). */
  gatesStart: boolean;
  /**
   * An account that goes offline: `relogin` — not ready, the running bot is left alone and
   * restarted when the account is back (mirai: its session is stale then, mirai-api-http #518);
   * `outage` — the backend is down (OneBot's `status.online=false`); `report` — logged, reported,
   * nothing else (NapCat over reverse WebSocket reconnects to the bot by itself).
   */
  accountOffline: 'relogin' | 'outage' | 'report';
  /** A confirmed outage or a blip restarts the bot (`backend-down`): its own link died with ours. */
  restartsBot: boolean;
}

export const POLICIES: Readonly<Record<BackendKind, BackendPolicy>> = {
  mirai: { gatesStart: true, accountOffline: 'relogin', restartsBot: true },
  onebot: { gatesStart: true, accountOffline: 'outage', restartsBot: true },
  http: { gatesStart: true, accountOffline: 'report', restartsBot: true },
  tcp: { gatesStart: true, accountOffline: 'report', restartsBot: true },
  // NapCat dials the bot as it dials us, and reconnects to it by itself once back.
  'onebot-reverse': { gatesStart: false, accountOffline: 'report', restartsBot: false },
};

/** The health sink's rule for the facts of a backend with this policy. */
export function backendRuleOf(policy: BackendPolicy): BackendRule {
  return { restartOnOutage: policy.restartsBot, restartOnRelogin: policy.restartsBot && policy.accountOffline === 'relogin' };
}
