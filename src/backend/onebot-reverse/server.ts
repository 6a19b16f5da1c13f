import { createHash, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer, STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { integerOf, snippet } from '../untrusted.js';
import { formatHostPort, type ListenAddress } from '../../net/listen-address.js';
import { readSignal, type OneBotSignal } from './signals.js';
import { PendingSockets, sourceOf, type DropCause } from '../../net/pending-sockets.js';
import { SourceLog } from '../../net/source-log.js';
import type { Clock } from '../../clock/clock.js';

export interface ConnectionInfo {
  id: number;
  /** `X-Self-ID`: the QQ account NapCat is logged in as. */
  selfId: number | undefined;
  /** `X-Client-Role` (NapCat: "Universal"). */
  role: string | undefined;
  /** The request path (never its query: it may carry `access_token`). */
  path: string;
  remote: string;
}

export interface ReverseServerHandlers {
  open(info: ConnectionInfo): void;
  signal(id: number, signal: Exclude<OneBotSignal, { kind: 'garbage' }>): void;
  garbage(id: number, reason: string): void;
  close(id: number, code: number, reason: string): void;
  /**
   * A handshake refused: 401 no token, 403 wrong token, 503 too many connections (or a socket cut:
   * no handshake within the deadline, too many pending). 503s come at most once per source address
   * a minute, `remote` then being that address and `reason` saying how many.
   */
  refused(status: 401 | 403 | 503, reason: string, remote: string): void;
}

export interface ReverseServerOptions {
  address: ListenAddress;
  /** When set, a client must send it (`Authorization: Bearer T` or `?access_token=T`). */
  accessToken?: string | undefined;
  /** Open WebSocket connections at most; more are refused with 503. Default 8. */
  maxConnections?: number;
  /** Largest frame accepted; a larger one closes that connection (1009). Default 16 MiB. */
  maxPayload?: number;
  /** Time a client has from connecting to a completed WebSocket handshake. Default 5 s. */
  handshakeTimeout?: number;
  /** Connections without a completed handshake at most; over it the oldest is cut. Default 64. */
  maxPending?: number;
  /** The same, per source address. Default 8. */
  maxPendingPerSource?: number;
  clock: Clock;
}

/**
 * The watchdog's end of the reverse WebSocket: NapCat dials it as one of its "WebSocket clients"
 * and pushes every event. Any path is accepted. Bad input (garbage HTTP, a bad handshake, binary or
 * non-JSON frames, an oversized frame) costs that client its connection at most, never the
 * process. Tokens are compared in constant time and never appear in what this reports.
 */
export class ReverseServer {
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly maxConnections: number;
  private readonly secret: Buffer | undefined;
  private readonly pending: PendingSockets;
  private readonly refusals: SourceLog;
  private nextId = 1;
  private bound: ListenAddress | undefined;

  constructor(
    private readonly options: ReverseServerOptions,
    private readonly on: ReverseServerHandlers,
  ) {
    this.maxConnections = options.maxConnections ?? 8;
    this.secret = options.accessToken ? digest(options.accessToken) : undefined;
    const handshakeTimeout = options.handshakeTimeout ?? 5000;
    const clock = options.clock;
    this.refusals = new SourceLog(
      (source, reason, count) => this.on.refused(503, count > 1 ? `${reason} (${count} refused or cut from ${source} since the last report)` : reason, source),
      () => clock.now(),
    );
    // Connections that have not finished a handshake are bounded, per source and in all: a flood of
    // them (200 sockets that never send a byte) churns its own sockets, and NapCat still links.
    this.pending = new PendingSockets({
      maxPending: options.maxPending ?? 64,
      maxPerSource: options.maxPendingPerSource ?? 8,
      deadlineMs: handshakeTimeout,
      clock,
      onDrop: (_socket, source, cause) => this.refusals.note(source, dropReason(cause, handshakeTimeout)),
    });
    this.http = createServer({
      // A backstop only: the pending sockets' own deadline (reported) comes first.
      headersTimeout: handshakeTimeout * 2,
      requestTimeout: handshakeTimeout * 2,
      connectionsCheckingInterval: Math.min(1000, handshakeTimeout),
      maxHeaderSize: 16 * 1024,
    });
    // No maxConnections: Node would refuse the new connection (NapCat's) and keep the flood's.
    this.http.on('connection', (socket: Socket) => this.pending.admit(socket));
    this.wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayload ?? 16 * 1024 * 1024, perMessageDeflate: false });
    this.http.on('request', (_req, res) => {
      const body = 'bot-watchdog: OneBot v11 reverse WebSocket endpoint (add it as a WebSocket client in NapCat)\n';
      res.writeHead(426, { 'Content-Type': 'text/plain; charset=utf-8', Upgrade: 'websocket', Connection: 'close' }).end(body);
    });
    this.http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
    this.http.on('clientError', (_error, socket) => socket.destroy());
  }

  /** Resolves once listening (with the bound address: port 0 picks one); rejects with the listen error. */
  async listen(): Promise<ListenAddress> {
    const { host, port } = this.options.address;
    this.http.listen(port, host);
    await once(this.http, 'listening'); // rejects on 'error'
    this.bound = { host, port: (this.http.address() as AddressInfo).port };
    return this.bound;
  }

  address(): ListenAddress | undefined {
    return this.bound;
  }

  connections(): number {
    return this.wss.clients.size;
  }

  /** Closes every connection (1001) and the listener. */
  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.close(1001, 'bot-watchdog is stopping');
    const closed = new Promise<void>((resolve) => (this.bound ? this.http.close(() => resolve()) : resolve()));
    // A client that does not answer the close frame is cut off.
    const cut = setTimeout(() => {
      for (const ws of this.wss.clients) ws.terminate();
      this.http.closeAllConnections();
    }, 1000);
    this.http.closeIdleConnections();
    this.pending.clear();
    await closed;
    clearTimeout(cut);
    this.bound = undefined;
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => {}); // a reset during the handshake is that client's problem
    const remote = remoteOf(req);
    const denied = this.authorize(req);
    if (denied) {
      this.on.refused(denied.status, denied.reason, remote);
      return reject(socket, denied.status);
    }
    if (this.wss.clients.size >= this.maxConnections) {
      this.refusals.note(sourceOf(req.socket), `already ${this.wss.clients.size} connections (the most this endpoint takes)`);
      return reject(socket, 503);
    }
    // handleUpgrade answers a malformed handshake (no key, wrong version) with 400 itself.
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.pending.settle(req.socket);
      this.accept(ws, req, remote);
    });
  }

  private accept(ws: WebSocket, req: IncomingMessage, remote: string): void {
    const id = this.nextId++;
    const header = (name: string) => {
      const value = req.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const role = header('x-client-role');
    const info: ConnectionInfo = {
      id,
      selfId: integerOf(header('x-self-id')),
      role: role === undefined ? undefined : snippet(role, 40),
      path: pathOf(req.url),
      remote,
    };
    ws.on('error', () => {}); // a protocol error or an oversized frame closes the socket: 'close' reports it
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const signal = readSignal(toBuffer(data), isBinary);
      if (!signal) return;
      if (signal.kind === 'garbage') this.on.garbage(id, signal.reason);
      else this.on.signal(id, signal);
    });
    ws.once('close', (code: number, reason: Buffer) => this.on.close(id, code, snippet(reason.toString('utf8'), 80)));
    this.on.open(info);
  }

  private authorize(req: IncomingMessage): { status: 401 | 403; reason: string } | undefined {
    if (!this.secret) return undefined;
    const token = tokenOf(req);
    if (!token) return { status: 401, reason: 'no access token (expected the one in backend.accessToken)' };
    if (!timingSafeEqual(digest(token), this.secret)) return { status: 403, reason: 'wrong access token (it differs from backend.accessToken)' };
    return undefined;
  }
}

/** `Authorization: Bearer T` (or `Token T`), else `?access_token=T`. NapCat sends "Bearer " when it has none. */
function tokenOf(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  const fromHeader = auth ? /^(?:bearer|token)\s+(.*)$/i.exec(auth.trim())?.[1]?.trim() : undefined;
  if (fromHeader) return fromHeader;
  try {
    return new URL(req.url ?? '/', 'http://x').searchParams.get('access_token') || undefined;
  } catch {
    return undefined;
  }
}

/** Equal-length digests, so the comparison takes the same time whatever the token's length. */
function digest(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

function reject(socket: Duplex, status: 401 | 403 | 503): void {
  const body = `${STATUS_CODES[status]}\n`;
  // Destroyed once the answer is flushed: a client that never closes its side cannot hold the socket.
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
}

function dropReason(cause: DropCause, deadlineMs: number): string {
  if (cause === 'deadline') return `no WebSocket handshake within ${deadlineMs}ms: cut`;
  return `too many connections ${cause === 'per-source' ? 'from one address ' : ''}without a finished handshake: the oldest was cut`;
}

function pathOf(url: string | undefined): string {
  return snippet((url ?? '/').split('?')[0] || '/', 100);
}

function remoteOf(req: IncomingMessage): string {
  const { remoteAddress, remotePort } = req.socket;
  return remoteAddress ? formatHostPort(remoteAddress, remotePort ?? 0) : 'unknown';
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
