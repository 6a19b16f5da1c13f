import { once } from 'node:events';
import { createServer, STATUS_CODES, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { EventLog } from '../log/events.js';
import { formatHostPort, type ParsedListenAddress } from '../net/listen-address.js';
import { createAuthorizer } from './auth.js';
import { createHostCheck } from './host-check.js';
import { KeyedRateLimit, RateLimit } from './rate-limit.js';
import { PendingSockets, sourceOf, type DropCause } from '../net/pending-sockets.js';
import { SourceLog } from '../net/source-log.js';
import type { Clock, TimerHandle } from '../clock/clock.js';

/** What the endpoint serves; each call is cheap and never throws on its own data. */
export interface StatusSource {
  status(): unknown;
  health(): { healthy: boolean };
  metrics(): Promise<{ contentType: string; body: string }>;
  /** The dashboard's data, sent whole on every update. */
  view(): unknown;
  /** Calls `listener` on every change; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
}

export interface StatusPage {
  html: string;
  /** The page's Content-Security-Policy (hashes of its inline script and style). */
  csp: string;
}

export interface StatusLimits {
  /**
   * Connections not being answered at once (a request not yet complete, a keep-alive connection
   * idle between requests); over it the oldest of them is closed, so a new client always gets in.
   */
  maxConnections: number;
  /** The same, per source address: one address's flood only ever closes its own connections. */
  maxConnectionsPerSource: number;
  /** Dashboards following /events at once; more get 503. */
  maxEventStreams: number;
  /** A request's headers must arrive within this (slowloris). */
  headersTimeoutMs: number;
  /** The whole request must arrive within this. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** A connection with no traffic at all is closed after this (event streams excepted). */
  idleTimeoutMs: number;
  /** How often Node checks the two timeouts above. */
  timeoutCheckMs: number;
  /** Requests per second and source address, and the burst allowed above that (answered 429 beyond it; all sources together: 4 times that). */
  requestsPerSecond: number;
  burst: number;
  /** An event stream whose client reads less than this far behind is dropped. */
  maxBufferedBytes: number;
  /** Updates of an event stream are at most this often (changes in between are merged). */
  updateIntervalMs: number;
  /** A comment line every so often keeps proxies from closing an idle event stream. */
  keepAliveCommentMs: number;
}

export const DEFAULT_LIMITS: StatusLimits = {
  maxConnections: 32,
  maxConnectionsPerSource: 8,
  maxEventStreams: 8,
  headersTimeoutMs: 5000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5000,
  idleTimeoutMs: 30_000,
  timeoutCheckMs: 1000,
  requestsPerSecond: 50,
  burst: 100,
  maxBufferedBytes: 256 * 1024,
  updateIntervalMs: 250,
  keepAliveCommentMs: 15_000,
};

export interface StatusServerOptions {
  listen: ParsedListenAddress;
  token: string | undefined;
  source: StatusSource;
  page: StatusPage;
  logger: EventLog;
  limits?: Partial<StatusLimits>;
  /** Times the cut of connections left unanswered, the rate limits and the event streams. */
  clock: Pick<Clock, 'now' | 'setTimeout' | 'clearTimeout'>;
}

const ROUTES = new Set(['/', '/healthz', '/status', '/metrics', '/events']);

const COMMON_HEADERS: OutgoingHttpHeaders = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

/**
 * The status endpoint: node:http, GET and HEAD only, every answer small and bounded. It runs in
 * the watchdog's own process, so everything here is built not to disturb supervision: answers
 * are computed from memory, slow or idle clients are cut off by timeouts, connections, event
 * streams and the request rate are capped, and no error escapes (it is logged, and answered 500).
 */
export class StatusServer {
  private readonly server: Server;
  private readonly limits: StatusLimits;
  private readonly authorized: (header: string | undefined) => boolean;
  private readonly hostAllowed: (host: string | undefined) => boolean;
  private readonly allowed: KeyedRateLimit;
  private readonly refused: KeyedRateLimit;
  private readonly allowedInAll: RateLimit;
  private readonly refusedInAll: RateLimit;
  private readonly pending: PendingSockets;
  private readonly refusals: SourceLog;
  private readonly streams = new Set<ServerResponse>();
  private unsubscribe: (() => void) | undefined;
  private flushTimer: TimerHandle | undefined;
  private keepAliveTimer: TimerHandle | undefined;
  private lastFlush = 0;
  private closed = false;

  constructor(private readonly options: StatusServerOptions) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.authorized = createAuthorizer(options.token);
    this.hostAllowed = createHostCheck(options.listen, options.token);
    const { requestsPerSecond, burst } = this.limits;
    // Each source has its budget, and requests without the token have their own: guessing cannot
    // lock Prometheus out, nor one client's flood another client.
    const now = () => options.clock.now();
    this.allowed = new KeyedRateLimit(requestsPerSecond, burst, now);
    this.refused = new KeyedRateLimit(requestsPerSecond, burst, now);
    this.allowedInAll = new RateLimit(requestsPerSecond * 4, burst * 4, now);
    this.refusedInAll = new RateLimit(requestsPerSecond * 4, burst * 4, now);
    this.refusals = new SourceLog(
      (source, reason, count) =>
        options.logger.emit('status.refused', { remote: source, reason, count }, `status endpoint: ${reason} (from ${source}${count > 1 ? `, ${count} times since the last line` : ''})`),
      now,
    );
    // Slowloris: connections not being answered are bounded per source and in all, and the oldest
    // goes first; Node's own maxConnections would refuse the newcomer (the health probe) instead.
    this.pending = new PendingSockets({
      maxPending: this.limits.maxConnections,
      maxPerSource: Math.min(this.limits.maxConnectionsPerSource, this.limits.maxConnections),
      // Node answers a slow request 408 at headersTimeout/requestTimeout (checked every
      // timeoutCheckMs); this cuts the rest, giving Node's check up to a second to answer first.
      deadlineMs: this.limits.requestTimeoutMs + Math.min(2 * this.limits.timeoutCheckMs, 1000),
      onDrop: (_socket, source, cause) => this.refusals.note(source, DROP_REASONS[cause]),
      clock: options.clock,
    });
    this.server = createServer(
      {
        headersTimeout: this.limits.headersTimeoutMs,
        requestTimeout: this.limits.requestTimeoutMs,
        keepAliveTimeout: this.limits.keepAliveTimeoutMs,
        connectionsCheckingInterval: this.limits.timeoutCheckMs,
        maxHeaderSize: 8192,
      },
      (req, res) => this.handle(req, res),
    );
    // A backstop only (closed sockets are counted until their close is processed).
    this.server.maxConnections = this.limits.maxConnections * 4 + this.limits.maxEventStreams;
    this.server.on('connection', (socket: Socket) => this.pending.admit(socket));
    this.server.maxRequestsPerSocket = 1000;
    this.server.setTimeout(this.limits.idleTimeoutMs);
    this.server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
      // Garbage, oversized headers, a timeout: answer if the socket still can, and let it go.
      if (socket.writable && !socket.destroyed) {
        const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
        socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      }
      socket.destroy();
    });
  }

  /** Starts listening. Never throws: a port in use is logged and the watchdog goes on without the endpoint. */
  async listen(): Promise<{ ok: true; url: string; port: number } | { ok: false; code: string | undefined }> {
    const { host, port } = this.options.listen;
    try {
      this.server.listen({ host, port });
      await once(this.server, 'listening'); // rejects on 'error'
    } catch (caught) {
      const error = caught as NodeJS.ErrnoException;
      const why = error.code === 'EADDRINUSE' ? 'the port is in use' : error.message;
      const message = `the status endpoint cannot listen on ${host}:${port}: ${why}; supervision goes on without it`;
      this.options.logger.emit('status.failed', { listen: `${host}:${port}`, code: error.code, error: error.message }, message);
      return { ok: false, code: error.code };
    }
    this.server.on('error', (error) => this.logError('server', error));
    const address = this.server.address() as AddressInfo;
    const url = `http://${formatHostPort(address.address, address.port)}/`;
    this.unsubscribe = this.options.source.subscribe(() => this.scheduleFlush());
    this.options.logger.emit(
      'status.listening',
      { url, port: address.port, auth: this.options.token !== undefined },
      `status endpoint on ${url} (/healthz, /status, /metrics; the dashboard at /)`,
    );
    return { ok: true, url, port: address.port };
  }

  /** Stops listening, ends every event stream and open connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.();
    this.options.clock.clearTimeout(this.flushTimer);
    this.options.clock.clearTimeout(this.keepAliveTimer);
    for (const stream of this.streams) stream.end();
    this.streams.clear();
    this.pending.clear();
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    // Being answered: not evicted meanwhile; idle again (evictable) once answered, unless it became
    // an event stream (those are capped by maxEventStreams).
    const socket = req.socket;
    this.pending.settle(socket);
    res.once('finish', () => {
      if (!this.streams.has(res)) this.pending.unsettle(socket);
    });
    try {
      this.route(req, res);
    } catch (error) {
      this.fail(res, error);
    }
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    const from = sourceOf(req.socket);
    if (!this.hostAllowed(req.headers.host)) {
      this.refusals.note(from, 'a Host that is not a loopback name, and no status.token (DNS rebinding?): answered 421');
      this.json(res, 421, { error: 'misdirected request: without a status.token only loopback names (localhost, 127.0.0.1, [::1]) are served' });
      return;
    }
    const authorized = this.authorized(req.headers.authorization);
    const [perSource, inAll] = authorized ? [this.allowed, this.allowedInAll] : [this.refused, this.refusedInAll];
    if (!perSource.take(from) || !inAll.take()) {
      this.json(res, 429, { error: 'too many requests' }, { 'Retry-After': '1' });
      return;
    }
    if (!authorized) {
      this.json(res, 401, { error: 'unauthorized: send the status.token as "Authorization: Bearer <token>"' }, {
        'WWW-Authenticate': 'Basic realm="bot-watchdog", charset="UTF-8"',
      });
      return;
    }
    let path: string;
    try {
      path = new URL(req.url ?? '/', 'http://status.invalid').pathname;
    } catch {
      this.json(res, 400, { error: 'bad request' });
      return;
    }
    if (!ROUTES.has(path)) {
      this.json(res, 404, { error: 'not found', routes: [...ROUTES] });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      this.json(res, 405, { error: `method ${req.method ?? '?'} not allowed: GET or HEAD` }, { Allow: 'GET, HEAD' });
      return;
    }
    const { source } = this.options;
    switch (path) {
      case '/healthz': {
        const health = source.health();
        this.json(res, health.healthy ? 200 : 503, health);
        return;
      }
      case '/status':
        this.json(res, 200, source.status());
        return;
      case '/metrics':
        source.metrics().then(
          ({ contentType, body }) => this.send(res, 200, contentType, body),
          (error: unknown) => this.fail(res, error),
        );
        return;
      case '/events':
        this.openStream(req, res);
        return;
      default:
        this.send(res, 200, 'text/html; charset=utf-8', this.options.page.html, { 'Content-Security-Policy': this.options.page.csp });
    }
  }

  private openStream(req: IncomingMessage, res: ServerResponse): void {
    if (this.streams.size >= this.limits.maxEventStreams) {
      this.json(res, 503, { error: `too many event streams (${this.limits.maxEventStreams}): close a dashboard or poll /status` }, { 'Retry-After': '10' });
      return;
    }
    res.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', 'X-Accel-Buffering': 'no' });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    // The stream is idle between updates: the idle timeout is for other connections.
    req.socket.setTimeout(0);
    this.streams.add(res);
    res.on('close', () => {
      this.streams.delete(res);
      if (this.streams.size === 0) this.stopKeepAlive();
    });
    res.write('retry: 3000\n\n');
    this.write(res, `data: ${JSON.stringify(this.options.source.view())}\n\n`);
    this.startKeepAlive();
  }

  private scheduleFlush(): void {
    if (this.streams.size === 0 || this.flushTimer || this.closed) return;
    const wait = Math.max(0, this.lastFlush + this.limits.updateIntervalMs - this.options.clock.now());
    this.flushTimer = this.options.clock.setTimeout(() => {
      this.flushTimer = undefined;
      this.lastFlush = this.options.clock.now();
      if (this.streams.size === 0) return;
      try {
        const frame = `data: ${JSON.stringify(this.options.source.view())}\n\n`;
        for (const stream of [...this.streams]) this.write(stream, frame);
      } catch (error) {
        this.logError('events', error);
      }
    }, wait, { unref: true });
  }

  private startKeepAlive(): void {
    if (this.keepAliveTimer) return;
    this.keepAliveTimer = this.options.clock.setTimeout(() => {
      this.keepAliveTimer = undefined;
      for (const stream of [...this.streams]) this.write(stream, ': keep-alive\n\n');
      if (this.streams.size > 0 && !this.closed) this.startKeepAlive();
    }, this.limits.keepAliveCommentMs, { unref: true });
  }

  private stopKeepAlive(): void {
    this.options.clock.clearTimeout(this.keepAliveTimer);
    this.keepAliveTimer = undefined;
  }

  /** Writes to an event stream; a client that does not read is dropped before it costs memory. */
  private write(stream: ServerResponse, text: string): void {
    if (stream.destroyed) return;
    stream.write(text);
    if (stream.writableLength > this.limits.maxBufferedBytes) {
      this.streams.delete(stream);
      stream.destroy();
    }
  }

  private json(res: ServerResponse, status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
    this.send(res, status, 'application/json; charset=utf-8', `${JSON.stringify(body)}\n`, headers);
  }

  private send(res: ServerResponse, status: number, contentType: string, body: string, headers: OutgoingHttpHeaders = {}): void {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(status, { ...COMMON_HEADERS, ...headers, 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  }

  private fail(res: ServerResponse, error: unknown): void {
    this.logError('request', error);
    if (!res.headersSent && !res.destroyed) this.json(res, 500, { error: 'internal error' });
    else res.destroy();
  }

  private logError(where: string, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.options.logger.emit('status.error', { where, error: message }, `status endpoint: ${message}`);
  }
}

const DROP_REASONS: Record<DropCause, string> = {
  deadline: 'a connection with no complete request in time was closed',
  'per-source': 'too many connections from one address not being answered: the oldest was closed',
  full: 'too many connections not being answered: the oldest was closed',
};
