import { type Clock } from '../../clock/clock.js';
import { displayUrl, httpRequest, joinUrl } from '../../probes/http-request.js';
import { judgeMiraiHttp, type MiraiAnswer } from './mirai-answer.js';
import { MiraiBotPresence } from './bot-presence.js';
import { stopwatch, type Probe, type ProbeResult } from '../../probes/probe.js';
import { integerOf } from '../untrusted.js';

export interface MiraiHttpProbeOptions {
  /** HTTP base of mirai-api-http, e.g. "http://127.0.0.1:8080". */
  url: string;
  verifyKey: string;
  /** The bot's QQ number; without it, any logged-in bot will do. */
  qq?: number;
  /**
   * Also prove verifyKey and the bot with POST /verify + /bind, then /release the session again.
   * Used when the WebSocket probe (which proves both on its handshake) is off. Needs `qq`:
   * a session can only be released once it is bound to a bot.
   */
  verifySession?: boolean;
  /** Time a /release may take after the check itself was aborted. Default 2000 ms. */
  releaseTimeout?: number;
  /** Latency, waits and the /release deadline. Default: the system clock. */
  clock: Clock;
  /**
   * Judges whether `qq` is a typo (shared with the WebSocket link). Default: one of its own,
   * with a threshold of 3 answers.
   */
  presence?: MiraiBotPresence;
}

/**
 * mirai HTTP adapter: `GET /about` answers code 0; the bot is present in `GET /botList` (the given
 * qq, or any bot when none is configured); with `verifySession`, a verify/bind/release round
 * proves verifyKey too. Never leaks a session: a bound session is released even when the check
 * is aborted half-way, and /verify is only called once /botList says /bind will succeed.
 */
export class MiraiHttpProbe implements Probe {
  readonly name = 'mirai-http';
  private readonly releases = new Set<Promise<void>>();
  private readonly clock: Clock;
  private readonly presence: MiraiBotPresence | undefined;
  /** backend.url as it may be shown. */
  private readonly display: string;

  constructor(private readonly options: MiraiHttpProbeOptions) {
    this.clock = options.clock;
    this.presence = options.qq === undefined ? undefined : (options.presence ?? new MiraiBotPresence(options.qq, 3));
    this.display = displayUrl(options.url);
  }

  /** Resolves once every /release this probe started has finished (call before exiting). */
  async settled(): Promise<void> {
    await Promise.all([...this.releases]);
  }

  async check(signal?: AbortSignal): Promise<ProbeResult> {
    const watch = stopwatch(this.clock);
    const { url, qq } = this.options;
    const call = (path: string) => httpRequest(joinUrl(url, path), { clock: this.clock, signal });
    const fail = (answer: Extract<MiraiAnswer, { ok: false }>, details: Record<string, unknown> = {}) =>
      watch.result(this.name, answer.verdict, answer.reason, { ...details, ...(answer.code === undefined ? {} : { miraiCode: answer.code }) });

    const about = judgeMiraiHttp(await call('/about'), 'GET /about', qq, this.display);
    if (!about.ok) return fail(about);
    const data = about.body['data'];
    const version = typeof (data as { version?: unknown } | undefined)?.version === 'string' ? (data as { version: string }).version : undefined;
    const details: Record<string, unknown> = version ? { version } : {};

    const list = judgeMiraiHttp(await call('/botList'), 'GET /botList', qq, this.display);
    if (!list.ok) return fail(list, details);
    const bots = Array.isArray(list.body['data']) ? list.body['data'].map(integerOf).filter((b): b is number => b !== undefined) : [];
    const present = this.presence?.observe(bots);
    if (present && present.verdict !== 'healthy') return watch.result(this.name, present.verdict, present.reason, { ...details, bots });
    if (qq === undefined && bots.length === 0) {
      return watch.result(this.name, 'unhealthy', 'no bot is logged in to mirai yet (/botList is empty)', details);
    }
    const bot = qq ?? bots[0];
    if (this.options.verifySession && qq !== undefined) {
      const session = await this.verifyAndRelease(qq, signal);
      if (session) return fail(session, details);
    }
    return watch.result(this.name, 'healthy', `mirai-api-http ${version ?? '(version unknown)'} answers, bot ${bot} present`, { ...details, qq: bot });
  }

  /** verify + bind + release. Undefined when all went well, else why not. */
  private async verifyAndRelease(qq: number, signal: AbortSignal | undefined): Promise<Extract<MiraiAnswer, { ok: false }> | undefined> {
    const { url, verifyKey } = this.options;
    const post = (path: string, json: unknown) => httpRequest(joinUrl(url, path), { method: 'POST', json, clock: this.clock, signal });
    const verified = judgeMiraiHttp(await post('/verify', { verifyKey }), 'POST /verify', qq);
    if (!verified.ok) return verified;
    const sessionKey = verified.body['session'];
    if (typeof sessionKey !== 'string' || sessionKey === '') {
      return { ok: false, verdict: 'unhealthy', reason: 'POST /verify answered code 0 without a session' };
    }
    let bound: MiraiAnswer;
    try {
      bound = judgeMiraiHttp(await post('/bind', { sessionKey, qq }), 'POST /bind', qq);
    } finally {
      // Also when /bind failed or was aborted: the server may have bound it anyway.
      const release = this.release(sessionKey, qq);
      this.releases.add(release);
      void release.finally(() => this.releases.delete(release));
      await release;
    }
    return bound.ok ? undefined : bound;
  }

  /** POST /release with its own deadline: it must run even when the check was aborted. */
  private async release(sessionKey: string, qq: number): Promise<void> {
    const controller = new AbortController();
    const timer = this.clock.setTimeout(() => controller.abort(), this.options.releaseTimeout ?? 2000);
    try {
      await httpRequest(joinUrl(this.options.url, '/release'), { method: 'POST', json: { sessionKey, qq }, signal: controller.signal, clock: this.clock });
    } finally {
      this.clock.clearTimeout(timer);
    }
  }
}
