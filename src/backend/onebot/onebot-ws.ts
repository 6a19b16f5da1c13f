import { type Clock } from '../../clock/clock.js';
import { wsEndpoint } from '../ws-endpoint.js';
import { displayUrl } from '../../probes/http-request.js';
import { judgeOneBotStatus, oneBotHeaders } from './onebot-answer.js';
import type { Probe, ProbeResult } from '../../probes/probe.js';
import { integerOf, isObject, parseJsonObject, snippet } from '../untrusted.js';
import { WsConnection, type FirstFrameJudgement, type LinkAttempt, type LinkProtocol, type LinkSignal, type LinkOptions, type WsTarget } from '../ws-connection.js';

export interface OneBotWsOptions {
  url: string;
  wsUrl?: string;
  accessToken?: string;
}

/** Forward WebSocket `/event` (lifecycle, then heartbeats and events), token as `Authorization: Bearer`. */
export function oneBotWsTarget(options: OneBotWsOptions): WsTarget {
  const url = wsEndpoint(options.url, options.wsUrl, '/event');
  return { url, display: displayUrl(url), headers: oneBotHeaders(options.accessToken) };
}

export function oneBotProtocol(hasToken: boolean): LinkProtocol {
  return {
    probe: 'onebot-ws',
    refused: (status) => judgeOneBotStatus(status, 'WebSocket upgrade', hasToken),
    firstFrame(text): FirstFrameJudgement {
      const frame = parseJsonObject(text);
      if (!frame) return { ok: false, verdict: 'unhealthy', reason: `the first WebSocket frame is not a JSON object: "${snippet(text, 40)}"` };
      if (typeof frame['post_type'] !== 'string') return { ok: false, verdict: 'unhealthy', reason: 'the first WebSocket frame is not a OneBot event' };
      const selfId = integerOf(frame['self_id']);
      const details = selfId === undefined ? {} : { selfId };
      if (frame['meta_event_type'] === 'lifecycle') {
        const sub = typeof frame['sub_type'] === 'string' ? ` ${snippet(frame['sub_type'], 20)}` : '';
        return { ok: true, reason: `lifecycle${sub} event received`, details };
      }
      // A server that skips the lifecycle event still speaks OneBot; heartbeats judge the rest.
      return { ok: true, reason: `first event is ${snippet(frame['meta_event_type'] ?? frame['post_type'], 30)} (no lifecycle event)`, details };
    },
    frame(text): LinkSignal | undefined {
      const frame = parseJsonObject(text);
      if (!frame || frame['post_type'] !== 'meta_event' || frame['meta_event_type'] !== 'heartbeat') return undefined;
      const status = isObject(frame['status']) ? frame['status'] : {};
      const online = typeof status['online'] === 'boolean' ? status['online'] : undefined;
      return { kind: 'heartbeat', intervalMs: integerOf(frame['interval']), online };
    },
  };
}

export async function openOneBotLink(options: OneBotWsOptions, link: LinkOptions, open: { timeout?: number; signal?: AbortSignal } = {}): Promise<LinkAttempt> {
  const connection = new WsConnection(oneBotWsTarget(options), oneBotProtocol(Boolean(options.accessToken)), link);
  const outcome = await connection.open(open);
  return outcome.verdict === 'healthy' ? { result: outcome, connection } : { result: outcome };
}

/** One-shot OneBot WebSocket probe (for `bot-watchdog check`): the first event arrives, then the link is closed. */
export class OneBotWsProbe implements Probe {
  readonly name = 'onebot-ws';

  constructor(
    private readonly options: OneBotWsOptions,
    private readonly clock: Clock,
  ) {}

  async check(signal?: AbortSignal): Promise<ProbeResult> {
    const attempt = await openOneBotLink(this.options, { clock: this.clock }, signal ? { signal } : {});
    attempt.connection?.close();
    return attempt.result;
  }
}
