import type { HttpOutcome } from '../../probes/http-request.js';
import { integerOf, parseJsonObject, snippet } from '../untrusted.js';
import type { Verdict } from '../../probes/probe.js';
import { isConfigStatus } from '../http-status.js';

/**
 * mirai-api-http status codes (shared/docs/protocols.md). Every answer carries one in its JSON
 * body; the HTTP status stays 200.
 */
export const MIRAI_CODE = { OK: 0, WRONG_VERIFY_KEY: 1, NO_BOT: 2, BAD_SESSION: 3, NOT_VERIFIED: 4 } as const;

export type MiraiAnswer =
  | { ok: true; body: Record<string, unknown> }
  | { ok: false; verdict: Verdict; reason: string; code?: number };

/**
 * What a mirai answer means. `ok` only with code 0. Code 1 (our verifyKey is wrong) is
 * `misconfigured`; code 2 (the bot is not logged in) and every other failure `unhealthy`.
 * `what` names the request in reasons: "/about", "the WebSocket handshake".
 */
export function judgeMiraiBody(body: Record<string, unknown> | undefined, what: string, qq?: number): MiraiAnswer {
  if (!body) return { ok: false, verdict: 'unhealthy', reason: `the answer to ${what} is not a JSON object` };
  const code = integerOf(body['code']);
  if (code === undefined) return { ok: false, verdict: 'unhealthy', reason: `the answer to ${what} has no mirai status code` };
  if (code === MIRAI_CODE.OK) return { ok: true, body };
  const msg = typeof body['msg'] === 'string' && body['msg'] !== '' ? `: ${snippet(body['msg'])}` : '';
  if (code === MIRAI_CODE.WRONG_VERIFY_KEY) {
    return { ok: false, verdict: 'misconfigured', code, reason: `mirai refused backend.verifyKey (code 1 from ${what}): it differs from verifyKey in mirai-api-http's setting.yml` };
  }
  if (code === MIRAI_CODE.NO_BOT) {
    return { ok: false, verdict: 'unhealthy', code, reason: `${qq === undefined ? 'the bot' : `bot ${qq}`} is not logged in to mirai yet (code 2 from ${what})` };
  }
  return { ok: false, verdict: 'unhealthy', code, reason: `mirai answered code ${code} to ${what}${msg}` };
}

/**
 * An HTTP outcome of a mirai endpoint, judged: transport, HTTP status, JSON, then the code.
 * mirai-api-http answers every request of its API with 200 (errors are codes in the body), so a
 * 4xx means backend.url leads to something else: misconfigured, as a OneBot 4xx is. `url` is
 * backend.url as it may be shown (without secrets).
 */
export function judgeMiraiHttp(outcome: HttpOutcome, what: string, qq?: number, url?: string): MiraiAnswer {
  if (!outcome.ok) return { ok: false, verdict: 'unhealthy', reason: `${what}: ${outcome.reason}` };
  if (outcome.status !== 200) return { ok: false, ...judgeMiraiStatus(outcome.status, what, url) };
  return judgeMiraiBody(parseJsonObject(outcome.body), what, qq);
}

/** A status other than 200 on mirai's API path. */
export function judgeMiraiStatus(status: number, what: string, url?: string): { verdict: Verdict; reason: string } {
  if (isConfigStatus(status)) {
    const where = url === undefined ? 'backend.url' : `backend.url (${url})`;
    return {
      verdict: 'misconfigured',
      reason: `${what}: HTTP ${status}: ${where} does not lead to mirai-api-http's http adapter: fix backend.url, or enable the adapter (adapters: [http, ws] in its setting.yml)`,
    };
  }
  return { verdict: 'unhealthy', reason: `${what}: HTTP ${status} from mirai-api-http` };
}
