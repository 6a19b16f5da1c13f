import type { Verdict } from '../../probes/probe.js';
import { isConfigStatus } from '../http-status.js';

/** The token as OneBot v11 wants it: `Authorization: Bearer T` (servers also accept `?access_token=T`; we never put it in a URL). */
export function oneBotHeaders(accessToken: string | undefined): Record<string, string> {
  return accessToken ? { authorization: `Bearer ${accessToken}` } : {};
}

/** A refused request: 401/403 are our token (misconfigured); other 4xx (not 408/429) mean nothing OneBot is at that path. */
export function judgeOneBotStatus(status: number, what: string, hadToken: boolean): { verdict: Verdict; reason: string } {
  if (status === 401) {
    return { verdict: 'misconfigured', reason: `${what}: HTTP 401, the OneBot server wants an access token${hadToken ? '' : ': set backend.accessToken'}` };
  }
  if (status === 403) {
    return { verdict: 'misconfigured', reason: `${what}: HTTP 403, the OneBot server refused backend.accessToken` };
  }
  if (isConfigStatus(status)) {
    return { verdict: 'misconfigured', reason: `${what}: HTTP ${status}, no OneBot v11 API there (check backend.url / backend.wsUrl)` };
  }
  return { verdict: 'unhealthy', reason: `${what}: HTTP ${status}` };
}
