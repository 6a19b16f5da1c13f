import { type Clock } from '../../clock/clock.js';
import { wsEndpoint } from '../ws-endpoint.js';
import { displayUrl, httpRequest, joinUrl } from '../../probes/http-request.js';
import { judgeMiraiBody, judgeMiraiHttp, MIRAI_CODE } from './mirai-answer.js';
import type { MiraiBotPresence } from './bot-presence.js';
import { stopwatch, type Probe, type ProbeResult, type Verdict } from '../../probes/probe.js';
import { integerOf, isObject, parseJsonObject, snippet } from '../untrusted.js';
import { WsConnection, type FirstFrameJudgement, type LinkAttempt, type LinkProtocol, type LinkSignal, type LinkOptions, type WsTarget } from '../ws-connection.js';

export interface MiraiWsOptions {
  /** HTTP base (for /botList when qq is not configured). */
  url: string;
  /** WebSocket base or endpoint; derived from url when absent. */
  wsUrl?: string;
  verifyKey: string;
  qq?: number;
  /** Whether `qq` counts as a typo (the poll judges it from /botList): then a code 2 is misconfigured too. */
  presence?: MiraiBotPresence;
}

/** The account events of mirai-api-http that tell us the bot's QQ session went away or came back. */
const OFFLINE_EVENTS = new Set(['BotOfflineEventActive', 'BotOfflineEventForce', 'BotOfflineEventDropped']);
const ONLINE_EVENTS = new Set(['BotOnlineEvent', 'BotReloginEvent']);

/**
 * `/event?verifyKey=K&qq=Q`, with verifyKey and qq also as headers (mirai reads headers first,
 * then the query; YiriMirai sends headers, mirai-ts the query).
 */
export function miraiWsTarget(options: MiraiWsOptions, qq: number): WsTarget {
  const url = wsEndpoint(options.url, options.wsUrl, '/event');
  const headers: Record<string, string> = { qq: String(qq) };
  if (options.verifyKey !== '') {
    url.searchParams.set('verifyKey', options.verifyKey);
    headers['verifyKey'] = options.verifyKey;
  }
  url.searchParams.set('qq', String(qq));
  return { url, display: displayUrl(url), headers };
}

export function miraiProtocol(qq: number, presence?: MiraiBotPresence): LinkProtocol {
  return {
    probe: 'mirai-ws',
    refused(status): { verdict: Verdict; reason: string } {
      if (status === 404) {
        return { verdict: 'misconfigured', reason: 'no WebSocket at /event (HTTP 404): enable the ws adapter of mirai-api-http (adapters: [http, ws]) or set backend.wsUrl' };
      }
      return { verdict: 'unhealthy', reason: `the WebSocket upgrade was refused with HTTP ${status}` };
    },
    firstFrame(text): FirstFrameJudgement {
      const frame = parseJsonObject(text);
      if (!frame) return { ok: false, verdict: 'unhealthy', reason: `the first WebSocket frame is not a JSON object: "${snippet(text, 40)}"` };
      const data = isObject(frame['data']) ? frame['data'] : frame; // a bare {"code":…} is also seen
      const judged = judgeMiraiBody(data, 'the WebSocket handshake', qq);
      if (!judged.ok) {
        // "No such bot" for a qq that /botList has shown to be a typo: our config, not the backend.
        const typo = judged.code === MIRAI_CODE.NO_BOT ? presence?.misconfigured : undefined;
        const details = judged.code === undefined ? {} : { details: { miraiCode: judged.code } };
        return typo ? { ok: false, verdict: 'misconfigured', reason: typo, ...details } : { ok: false, verdict: judged.verdict, reason: judged.reason, ...details };
      }
      return { ok: true, reason: `WebSocket /event linked to bot ${qq}`, details: { qq } };
    },
    frame(text): LinkSignal | undefined {
      const frame = parseJsonObject(text);
      if (!frame || frame['syncId'] !== '-1' && frame['syncId'] !== -1 || !isObject(frame['data'])) return undefined;
      const event = frame['data'];
      const type = event['type'];
      if (typeof type !== 'string') return undefined;
      const eventQq = integerOf(event['qq']);
      if (eventQq !== undefined && eventQq !== qq) return undefined;
      const online = ONLINE_EVENTS.has(type) ? true : OFFLINE_EVENTS.has(type) ? false : undefined;
      if (online === undefined) return undefined;
      const details: Record<string, unknown> = { qq };
      for (const field of ['title', 'message'] as const) if (typeof event[field] === 'string') details[field] = snippet(event[field], 200);
      return { kind: 'account', online, event: type, details };
    },
  };
}

/**
 * The bot to link to: backend.qq, else the one bot of /botList. No bot: not ready yet; several:
 * our config must say which (misconfigured).
 */
export async function resolveMiraiQq(
  options: MiraiWsOptions,
  signal: AbortSignal | undefined,
  clock: Clock,
): Promise<{ qq: number } | { verdict: Verdict; reason: string }> {
  if (options.qq !== undefined) return { qq: options.qq };
  const answer = judgeMiraiHttp(await httpRequest(joinUrl(options.url, '/botList'), { clock, signal }), 'GET /botList', undefined, displayUrl(options.url));
  if (!answer.ok) return { verdict: answer.verdict, reason: answer.reason };
  const bots = Array.isArray(answer.body['data']) ? answer.body['data'].map(integerOf).filter((b): b is number => b !== undefined) : [];
  if (bots.length === 1) return { qq: bots[0] as number };
  if (bots.length === 0) return { verdict: 'unhealthy', reason: 'no bot is logged in to mirai yet (/botList is empty)' };
  return { verdict: 'misconfigured', reason: `several bots are logged in to mirai (${bots.join(', ')}): set backend.qq to the bot to watch` };
}

/** One attempt to link to mirai's /event: resolve the bot, connect, judge the first frame. */
export async function openMiraiLink(options: MiraiWsOptions, link: LinkOptions, open: { timeout?: number; signal?: AbortSignal } = {}): Promise<LinkAttempt> {
  const watch = stopwatch(link.clock);
  const resolved = await resolveMiraiQq(options, open.signal, link.clock);
  if (!('qq' in resolved)) return { result: watch.result('mirai-ws', resolved.verdict, resolved.reason) };
  const connection = new WsConnection(miraiWsTarget(options, resolved.qq), miraiProtocol(resolved.qq, options.presence), link);
  const outcome = await connection.open({
    ...(open.timeout === undefined ? {} : { timeout: Math.max(1, open.timeout - watch.elapsedMs()) }),
    signal: open.signal,
  });
  return outcome.verdict === 'healthy' ? { result: outcome, connection } : { result: outcome };
}

/**
 * One-shot mirai WebSocket probe (for `bot-watchdog check`): the handshake must give code 0,
 * then the link is closed again, and its session with it.
 */
export class MiraiWsProbe implements Probe {
  readonly name = 'mirai-ws';

  constructor(
    private readonly options: MiraiWsOptions,
    private readonly clock: Clock,
  ) {}

  async check(signal?: AbortSignal): Promise<ProbeResult> {
    const attempt = await openMiraiLink(this.options, { clock: this.clock }, signal ? { signal } : {});
    attempt.connection?.close();
    return attempt.result;
  }
}
