import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import type { WebSocket } from 'ws';
import { type Clock, type TimerHandle } from '../clock/clock.js';
import { errorReason } from '../probes/net-errors.js';
import { stopwatch, type ProbeResult, type Verdict } from '../probes/probe.js';
import { HEARTBEAT_MISSES, heartbeatDeadline, heartbeatIntervalOf } from './heartbeat-deadline.js';
import { snippet } from './untrusted.js';

/** Where to connect. `url` may carry secrets in its query; `display` never does. */
export interface WsTarget {
  url: URL;
  display: string;
  headers: Record<string, string>;
}

export type FirstFrameJudgement =
  | { ok: true; reason: string; details?: Record<string, unknown> }
  | { ok: false; verdict: Verdict; reason: string; details?: Record<string, unknown> };

/** What a frame after the first one tells us. */
export type LinkSignal =
  | { kind: 'account'; online: boolean; event: string; details: Record<string, unknown> }
  | { kind: 'heartbeat'; intervalMs: number | undefined; online: boolean | undefined };

/** The protocol-specific part of a link: mirai-api-http or OneBot v11. */
export interface LinkProtocol {
  readonly probe: string;
  /** What an upgrade refused with this HTTP status means. */
  refused(status: number): { verdict: Verdict; reason: string };
  /** The first frame decides whether the link is up. */
  firstFrame(text: string): FirstFrameJudgement;
  /** Later frames: account events, heartbeats; undefined for anything else (garbage included). */
  frame(text: string): LinkSignal | undefined;
}

export interface LinkLoss {
  /**
   * closed: the server closed or dropped it; pong-timeout, heartbeat-timeout: it went silent;
   * protocol: WE closed it, for a frame we do not take (too big: 1009, invalid: 1002/1007/1008) —
   * the watchdog's own trouble, not the backend's nor the bot's.
   */
  cause: 'closed' | 'pong-timeout' | 'heartbeat-timeout' | 'protocol';
  /** The WebSocket close code the client saw (1006: no close frame), or for `protocol` the one we closed with. */
  closeCode?: number;
  reason: string;
  /** The clock's now() when the loss was seen. */
  at: number;
}

/** How an open link is kept and judged: pings, pongs, heartbeats, on one clock. */
export interface LinkOptions {
  /** Time between ping frames; undefined = no pings. */
  pingInterval?: number;
  /** No pong (nor any other frame) within this after a ping = dead. */
  pongTimeout?: number;
  /** Heartbeats missed in a row (OneBot) before the link counts as dead. Default 2. */
  heartbeatMisses?: number;
  /** Every timer and time of the connection (handshake deadline, pings, pongs, heartbeats, close). */
  clock: Clock;
}

/** One attempt to open a link: the result, and the open link when it is healthy. */
export interface LinkAttempt {
  result: ProbeResult;
  connection?: WsConnection;
}

export interface OpenOptions {
  /** Handshake and first frame must arrive within this. */
  timeout?: number;
  signal?: AbortSignal;
}

/**
 * Frames bigger than this are not what a probe expects: the socket is closed (1009). The link only
 * reads the first frame, heartbeats and account events; a larger frame (a message event with a big
 * payload on a OneBot /event) costs one quiet reconnect (`ws.reset`), never a restart of the bot.
 */
export const MAX_FRAME_BYTES = 1024 * 1024;
/** A close that the server does not answer is cut off after this. */
const CLOSE_GRACE_MS = 1000;

/**
 * One WebSocket connection to a backend, judged by its protocol: `open()` resolves with a
 * ProbeResult once the first frame says whether the link is up. While open it sends pings and
 * watches heartbeats; a close from the server (1006 or any other code), a missing pong or
 * missing heartbeats end it with one `lost` event. `close()` ends it without `lost`.
 */
export class WsConnection extends EventEmitter<{ lost: [LinkLoss]; signal: [LinkSignal] }> {
  private ws: WebSocket | undefined;
  private phase: 'new' | 'opening' | 'open' | 'done' = 'new';
  private pingTimer: TimerHandle | undefined;
  private pongTimer: TimerHandle | undefined;
  private heartbeatTimer: TimerHandle | undefined;
  private lastError: string | undefined;
  private readonly clock: Clock;

  constructor(
    readonly target: WsTarget,
    readonly protocol: LinkProtocol,
    private readonly liveness: LinkOptions,
  ) {
    super();
    this.clock = liveness.clock;
  }

  get isOpen(): boolean {
    return this.phase === 'open';
  }

  open(options: OpenOptions = {}): Promise<ProbeResult> {
    if (this.phase !== 'new') throw new Error('a WsConnection opens once');
    this.phase = 'opening';
    const loading = stopwatch(this.clock);
    // ws is loaded on first use: a one-shot check that opens no link does not pay for it.
    return loadWebSocket().then(
      (WebSocketClass) => this.connect(WebSocketClass, options),
      (error: unknown) => {
        this.phase = 'done';
        return loading.result(this.protocol.probe, 'unhealthy', errorReason(error), { url: this.target.display });
      },
    );
  }

  private connect(WebSocketClass: typeof WebSocket, options: OpenOptions): Promise<ProbeResult> {
    const watch = stopwatch(this.clock);
    const { probe } = this.protocol;
    const { timeout, signal } = options;

    return new Promise<ProbeResult>((resolve) => {
      let settled = false;
      let upgraded = false;
      let deadline: TimerHandle | undefined;
      const settle = (verdict: Verdict, reason: string, details: Record<string, unknown> = {}) => {
        if (settled) return;
        settled = true;
        this.clock.clearTimeout(deadline);
        signal?.removeEventListener('abort', onAbort);
        if (verdict === 'healthy') {
          this.phase = 'open';
          this.startLiveness();
        } else {
          this.shutdown(upgraded);
        }
        resolve(watch.result(probe, verdict, reason, { url: this.target.display, ...details }));
      };
      const onAbort = () =>
        settle('unhealthy', `${upgraded ? 'no first frame' : 'no WebSocket handshake'} within ${watch.elapsedMs()}ms`);
      if (signal?.aborted) return onAbort();
      if (this.phase === 'done') return settle('unhealthy', 'closed before the link was opened');

      let ws: WebSocket;
      try {
        ws = new WebSocketClass(this.target.url, {
          headers: this.target.headers,
          perMessageDeflate: false,
          maxPayload: MAX_FRAME_BYTES,
          followRedirects: false,
        });
      } catch (error) {
        return settle('unhealthy', errorReason(error));
      }
      this.ws = ws;
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeout !== undefined) deadline = this.clock.setTimeout(onAbort, timeout);

      ws.on('unexpected-response', (request, response) => {
        const status = response.statusCode ?? 0;
        const judged = this.protocol.refused(status);
        settle(judged.verdict, judged.reason, { status });
        response.resume();
        request.destroy();
      });
      ws.on('upgrade', () => (upgraded = true));
      ws.on('error', (error) => {
        const own = ownProtocolError(error);
        this.lastError = own?.reason ?? errorReason(error);
        if (!settled) settle('unhealthy', this.lastError);
        // A frame we refused: we close the link ourselves (ws sends the close frame but reads no
        // more, so its 'close' would say 1006, as if the backend had dropped it).
        else if (own) this.lose({ cause: 'protocol', closeCode: own.closeCode, reason: own.reason, at: this.clock.now() });
      });
      ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
        this.alive();
        const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
        if (!settled) {
          const judged = judgeSafely(() => this.protocol.firstFrame(text));
          if (judged.ok) settle('healthy', judged.reason, judged.details);
          else settle(judged.verdict, judged.reason, judged.details);
          return;
        }
        if (this.phase === 'open') this.onFrame(text);
      });
      ws.on('pong', () => this.alive());
      ws.on('ping', () => this.alive());
      ws.on('close', (code: number, reason: Buffer) => {
        const why = closeReason(code, reason.toString('utf8'), this.lastError);
        if (!settled) settle('unhealthy', upgraded ? `closed before the first frame: ${why}` : this.lastError ?? why, { closeCode: code });
        else this.lose({ cause: 'closed', closeCode: code, reason: why, at: this.clock.now() });
      });
    });
  }

  /** Ends the link with a normal close (1000); no `lost` event. A mirai session closes with it. */
  close(): void {
    if (this.phase === 'done') return;
    this.phase = 'done';
    this.shutdown(true);
  }

  private onFrame(text: string): void {
    let signal: LinkSignal | undefined;
    try {
      signal = this.protocol.frame(text);
    } catch {
      return; // a frame our parser chokes on carries no signal; the link itself is judged by pings
    }
    if (!signal) return;
    if (signal.kind === 'heartbeat' && signal.intervalMs !== undefined && signal.intervalMs > 0) {
      // The interval comes from the server: keep it sane (and within what a timer can hold).
      this.armHeartbeat(signal.intervalMs);
    }
    this.emit('signal', signal);
  }

  private startLiveness(): void {
    const { pingInterval } = this.liveness;
    if (pingInterval === undefined || pingInterval <= 0) return;
    const next = () => {
      this.pingTimer = this.clock.setTimeout(() => {
        this.ping();
        if (this.phase === 'open') next();
      }, pingInterval);
    };
    next();
  }

  private ping(): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== ws.OPEN || this.phase !== 'open') return;
    try {
      ws.ping();
    } catch {
      return; // the socket is going away: 'close' reports it
    }
    const { pongTimeout } = this.liveness;
    if (pongTimeout !== undefined && !this.pongTimer) {
      this.pongTimer = this.clock.setTimeout(() => {
        this.pongTimer = undefined;
        this.lose({ cause: 'pong-timeout', reason: `no pong within ${pongTimeout}ms`, at: this.clock.now() });
      }, pongTimeout);
    }
  }

  /** Any frame from the server proves the link carries data. */
  private alive(): void {
    this.clock.clearTimeout(this.pongTimer);
    this.pongTimer = undefined;
  }

  /** (Re)arms the heartbeat deadline: `misses` announced intervals, the interval kept within sane bounds. */
  private armHeartbeat(announcedMs: number): void {
    const misses = this.liveness.heartbeatMisses ?? HEARTBEAT_MISSES;
    const intervalMs = heartbeatIntervalOf(announcedMs);
    const now = this.clock.now();
    const counted = intervalMs === announcedMs ? '' : `; counted as ${intervalMs}ms`;
    this.clock.clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = this.clock.setTimeout(() => {
      this.heartbeatTimer = undefined;
      this.lose({
        cause: 'heartbeat-timeout',
        reason: `no heartbeat for ${misses * intervalMs}ms (the server announced one every ${announcedMs}ms${counted})`,
        at: this.clock.now(),
      });
    }, heartbeatDeadline(now, intervalMs, misses) - now);
  }

  private lose(loss: LinkLoss): void {
    if (this.phase !== 'open') return;
    this.phase = 'done';
    this.stopTimers();
    this.ws?.terminate();
    this.emit('lost', loss);
  }

  private stopTimers(): void {
    for (const timer of [this.pingTimer, this.pongTimer, this.heartbeatTimer]) this.clock.clearTimeout(timer);
    this.pingTimer = this.pongTimer = this.heartbeatTimer = undefined;
  }

  /** Closes politely when the socket is open, and cuts it off if the server does not answer. */
  private shutdown(polite: boolean): void {
    this.stopTimers();
    if (this.phase !== 'open') this.phase = 'done';
    const ws = this.ws;
    if (!ws || ws.readyState === ws.CLOSED) return;
    if (polite && ws.readyState === ws.OPEN) {
      ws.close(1000);
      const cutoff = this.clock.setTimeout(() => ws.terminate(), CLOSE_GRACE_MS, { unref: true });
      ws.once('close', () => this.clock.clearTimeout(cutoff));
    } else {
      ws.terminate();
    }
  }
}

let webSocketModule: Promise<typeof WebSocket> | undefined;

function loadWebSocket(): Promise<typeof WebSocket> {
  // require, not import(): ws is CommonJS, and its ESM wrapper costs ~5 MB more RSS for good.
  webSocketModule ??= Promise.resolve().then(() => (createRequire(import.meta.url)('ws') as typeof import('ws')).WebSocket);
  return webSocketModule;
}

function closeReason(code: number, reason: string, error: string | undefined): string {
  if (code === 1006) return `connection dropped without a close frame (1006${error ? `, ${error}` : ''})`;
  const text = reason ? `: ${snippet(reason)}` : '';
  return `closed by the server with code ${code}${text}`;
}

/**
 * The errors of ws's frame reader (the server sent something we do not take) and the close code
 * ws closes with for each; anything else is not ours (a socket error, a refused handshake).
 */
const RECEIVER_ERRORS: Record<string, number> = {
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: 1009,
  WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH: 1009,
  WS_ERR_INVALID_UTF8: 1007,
  WS_ERR_TOO_MANY_BUFFERED_PARTS: 1008,
  WS_ERR_INVALID_OPCODE: 1002,
  WS_ERR_EXPECTED_FIN: 1002,
  WS_ERR_UNEXPECTED_RSV_1: 1002,
  WS_ERR_UNEXPECTED_RSV_2_3: 1002,
  WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH: 1002,
  WS_ERR_EXPECTED_MASK: 1002,
  WS_ERR_UNEXPECTED_MASK: 1002,
  WS_ERR_INVALID_CLOSE_CODE: 1002,
};

/** What each close code we close with says about the frame (1002: the error's own words). */
const REFUSED_FRAMES: Readonly<Record<number, string>> = {
  1009: `a frame larger than ${MAX_FRAME_BYTES / (1024 * 1024)} MiB, more than the watchdog's link takes`,
  1007: 'a text frame that is not valid UTF-8',
  1008: 'a message in too many parts',
};

/** A frame the watchdog refused: the code we close with and why, in words; undefined for other errors. */
export function ownProtocolError(error: unknown): { closeCode: number; reason: string } | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string' || !Object.hasOwn(RECEIVER_ERRORS, code)) return undefined;
  const closeCode = RECEIVER_ERRORS[code] as number;
  const what = REFUSED_FRAMES[closeCode] ?? `an invalid WebSocket frame (${snippet((error as Error).message, 60)})`;
  return { closeCode, reason: `${what} arrived; the watchdog closed its own link (${closeCode})` };
}

/** A first-frame judgement that cannot throw, whatever the server sent. */
function judgeSafely(judge: () => FirstFrameJudgement): FirstFrameJudgement {
  try {
    return judge();
  } catch {
    return { ok: false, verdict: 'unhealthy', reason: 'the first WebSocket frame could not be understood' };
  }
}
