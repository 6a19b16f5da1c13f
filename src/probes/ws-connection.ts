import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import type { WebSocket } from 'ws';
import { errorReason } from './net-errors.js';
import { result, type ProbeResult, type Verdict } from './probe.js';
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
  cause: 'closed' | 'pong-timeout' | 'heartbeat-timeout';
  /** The WebSocket close code the client saw (1006: no close frame). */
  closeCode?: number;
  reason: string;
  /** performance.now() when the loss was seen. */
  at: number;
}

export interface LivenessOptions {
  /** Time between ping frames; undefined = no pings. */
  pingInterval?: number;
  /** No pong (nor any other frame) within this after a ping = dead. */
  pongTimeout?: number;
  /** Heartbeats missed in a row (OneBot) before the link counts as dead. Default 2. */
  heartbeatMisses?: number;
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

/** Frames bigger than this are not what a probe expects: the socket is closed (1009). */
const MAX_FRAME_BYTES = 1024 * 1024;
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
  private pingTimer: NodeJS.Timeout | undefined;
  private pongTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private lastError: string | undefined;

  constructor(
    readonly target: WsTarget,
    readonly protocol: LinkProtocol,
    private readonly liveness: LivenessOptions = {},
  ) {
    super();
  }

  get isOpen(): boolean {
    return this.phase === 'open';
  }

  open(options: OpenOptions = {}): Promise<ProbeResult> {
    if (this.phase !== 'new') throw new Error('a WsConnection opens once');
    this.phase = 'opening';
    const loading = performance.now();
    // ws is loaded on first use: a one-shot check that opens no link does not pay for it.
    return loadWebSocket().then(
      (WebSocketClass) => this.connect(WebSocketClass, options),
      (error: unknown) => {
        this.phase = 'done';
        return result(this.protocol.probe, 'unhealthy', errorReason(error), loading, { url: this.target.display });
      },
    );
  }

  private connect(WebSocketClass: typeof WebSocket, options: OpenOptions): Promise<ProbeResult> {
    const started = performance.now();
    const { probe } = this.protocol;
    const { timeout, signal } = options;

    return new Promise<ProbeResult>((resolve) => {
      let settled = false;
      let upgraded = false;
      let deadline: NodeJS.Timeout | undefined;
      const settle = (verdict: Verdict, reason: string, details: Record<string, unknown> = {}) => {
        if (settled) return;
        settled = true;
        if (deadline) clearTimeout(deadline);
        signal?.removeEventListener('abort', onAbort);
        if (verdict === 'healthy') {
          this.phase = 'open';
          this.startLiveness();
        } else {
          this.shutdown(upgraded);
        }
        resolve(result(probe, verdict, reason, started, { url: this.target.display, ...details }));
      };
      const onAbort = () =>
        settle('unhealthy', `${upgraded ? 'no first frame' : 'no WebSocket handshake'} within ${Math.round(performance.now() - started)}ms`);
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
      if (timeout !== undefined) deadline = setTimeout(onAbort, timeout);

      ws.on('unexpected-response', (request, response) => {
        const status = response.statusCode ?? 0;
        const judged = this.protocol.refused(status);
        settle(judged.verdict, judged.reason, { status });
        response.resume();
        request.destroy();
      });
      ws.on('upgrade', () => (upgraded = true));
      ws.on('error', (error) => {
        this.lastError = errorReason(error);
        if (!settled) settle('unhealthy', this.lastError);
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
        else this.lose({ cause: 'closed', closeCode: code, reason: why, at: performance.now() });
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
      this.armHeartbeat(Math.min(MAX_HEARTBEAT_INTERVAL_MS, Math.max(MIN_HEARTBEAT_INTERVAL_MS, signal.intervalMs)));
    }
    this.emit('signal', signal);
  }

  private startLiveness(): void {
    const { pingInterval } = this.liveness;
    if (pingInterval !== undefined && pingInterval > 0) this.pingTimer = setInterval(() => this.ping(), pingInterval);
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
      this.pongTimer = setTimeout(() => {
        this.pongTimer = undefined;
        this.lose({ cause: 'pong-timeout', reason: `no pong within ${pongTimeout}ms`, at: performance.now() });
      }, pongTimeout);
    }
  }

  /** Any frame from the server proves the link carries data. */
  private alive(): void {
    if (this.pongTimer) clearTimeout(this.pongTimer);
    this.pongTimer = undefined;
  }

  private armHeartbeat(intervalMs: number): void {
    const misses = this.liveness.heartbeatMisses ?? 2;
    if (this.heartbeatTimer) clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = setTimeout(() => {
      this.heartbeatTimer = undefined;
      this.lose({
        cause: 'heartbeat-timeout',
        reason: `no heartbeat for ${misses * intervalMs}ms (the server announced one every ${intervalMs}ms)`,
        at: performance.now(),
      });
    }, misses * intervalMs);
  }

  private lose(loss: LinkLoss): void {
    if (this.phase !== 'open') return;
    this.phase = 'done';
    this.stopTimers();
    this.ws?.terminate();
    this.emit('lost', loss);
  }

  private stopTimers(): void {
    for (const timer of [this.pingTimer, this.pongTimer, this.heartbeatTimer]) if (timer) clearTimeout(timer);
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
      const cutoff = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
      cutoff.unref();
      ws.once('close', () => clearTimeout(cutoff));
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

/** Bounds for a heartbeat interval announced by the server. */
const MIN_HEARTBEAT_INTERVAL_MS = 100;
const MAX_HEARTBEAT_INTERVAL_MS = 10 * 60_000;

/** A first-frame judgement that cannot throw, whatever the server sent. */
function judgeSafely(judge: () => FirstFrameJudgement): FirstFrameJudgement {
  try {
    return judge();
  } catch {
    return { ok: false, verdict: 'unhealthy', reason: 'the first WebSocket frame could not be understood' };
  }
}
