// What the fake Mirai and fake OneBot servers share: one HTTP server carrying both HTTP and
// WebSocket on 127.0.0.1, connection bookkeeping, a request log and reversible faults.
import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { waitFor } from './wait.js';

/**
 * - refuse: stop listening and destroy every socket; connects get ECONNREFUSED until healed.
 * - drop: destroy every socket without a close frame (WebSocket clients see 1006) and keep doing
 *   so with each new TCP connection, while still listening.
 * - freeze: keep TCP open and answer nothing (no HTTP response, no upgrade, no frame, no pong);
 *   what arrived meanwhile is processed when healed, like a process after SIGCONT.
 * - garbage: every HTTP answer is non-JSON bytes with status 200, every frame non-JSON text.
 * - wrongCode: answers carry an error code (the protocol decides where it goes).
 * - slow: every answer and every pushed frame is delayed by `ms`.
 */
export type Fault =
  | { kind: 'refuse' }
  | { kind: 'drop' }
  | { kind: 'freeze' }
  | { kind: 'garbage' }
  | { kind: 'wrongCode'; code?: number; msg?: string }
  | { kind: 'slow'; ms: number };

/** Faults that need no parameter can be named by their kind alone. */
export type SimpleFault = Exclude<Fault['kind'], 'slow'>;

export interface RequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** The body as received (empty for GET and upgrades). */
  rawBody: string;
  /** The body parsed as JSON, or undefined when it is empty or not JSON. */
  body: unknown;
  /** True for a WebSocket upgrade request. */
  upgrade: boolean;
  at: Date;
}

export interface ConnectionBase {
  id: number;
  path: string;
  remoteAddress: string;
  remotePort: number;
  connectedAt: Date;
}

export type Disconnection<C extends ConnectionBase> = C & { code: number; reason: string };

export interface BackendEvents<C extends ConnectionBase> {
  connection: [C];
  disconnect: [Disconnection<C>];
  request: [RequestRecord];
  /** A data frame from a listed client, as it arrives (before any fault delays its answer). */
  frame: [{ connection: C; text: string }];
}

/** A live WebSocket client as the subclasses see it. */
export interface LiveConnection<C extends ConnectionBase> {
  info: C;
  ws: WebSocket;
  socket: Duplex;
  /** Settles once the socket is closed and `disconnect` has been emitted. */
  closed: Promise<void>;
}

/** Server-to-client frames (unmasked) that break the WebSocket protocol, for writeRaw. */
export const INVALID_FRAMES = {
  /** FIN + reserved opcode 0x3: a client closes with 1002. */
  reservedOpcode: Buffer.from([0x83, 0x00]),
  /** A text frame whose payload is not UTF-8: a client closes with 1007. */
  notUtf8: Buffer.from([0x81, 0x02, 0xff, 0xfe]),
} as const;

const HTTP_GARBAGE = Buffer.concat([
  Buffer.from('<html>\u0000'),
  Buffer.from([0xff, 0xfe, 0xfd]),
  Buffer.from('}{ not json'),
]);
const WS_GARBAGE = '}{ garbage, not JSON \u0000';

export abstract class FakeBackend<C extends ConnectionBase> extends EventEmitter<BackendEvents<C>> {
  /** Every HTTP request and upgrade request received, oldest first. */
  readonly requests: RequestRecord[] = [];

  private server: http.Server | undefined;
  private listeningPort = 0;
  private readonly sockets = new Set<Socket>();
  private readonly wss = new WebSocketServer({ noServer: true, autoPong: false, clientTracking: false });
  private readonly live = new Map<number, LiveConnection<C>>();
  private nextId = 1;
  private current: Fault | null = null;
  private parked: Array<() => void> = [];
  private readonly timers = new Set<NodeJS.Timeout>();

  get port(): number {
    return this.listeningPort;
  }

  get url(): string {
    return `http://127.0.0.1:${this.listeningPort}`;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.listeningPort}`;
  }

  get activeFault(): Fault | null {
    return this.current;
  }

  /** Live WebSocket clients (handshake completed), oldest first. */
  connections(): C[] {
    return [...this.live.values()].map((c) => c.info);
  }

  /** Destroys the TCP socket of the matching WebSocket clients (no close frame: they see 1006). */
  dropConnection(predicate: (c: C) => boolean = () => true): number {
    let dropped = 0;
    for (const c of this.live.values()) {
      if (!predicate(c.info)) continue;
      c.socket.destroy();
      dropped++;
    }
    return dropped;
  }

  /** Sends one text frame as is (not JSON, no fault applied) to the matching clients, e.g. one larger than a client takes. */
  sendText(text: string, predicate: (c: C) => boolean = () => true): number {
    let sent = 0;
    for (const c of this.live.values()) {
      if (!predicate(c.info) || c.ws.readyState !== WebSocket.OPEN) continue;
      c.ws.send(text);
      sent++;
    }
    return sent;
  }

  /**
   * Writes raw bytes on the TCP socket of the matching clients: a frame no WebSocket library would
   * send (see INVALID_FRAMES). Between frames only: nothing else may be being written then.
   */
  writeRaw(bytes: Buffer, predicate: (c: C) => boolean = () => true): number {
    let sent = 0;
    for (const c of this.live.values()) {
      if (!predicate(c.info) || c.socket.destroyed) continue;
      c.socket.write(bytes);
      sent++;
    }
    return sent;
  }

  /** Resolves with the next WebSocket client that completes its handshake and matches. */
  waitForConnection(predicate: (c: C) => boolean = () => true, timeoutMs = 5000): Promise<C> {
    return waitFor<C>(this, 'connection', predicate, timeoutMs);
  }

  /** Resolves with the next WebSocket client that goes away and matches. */
  waitForDisconnect(
    predicate: (c: Disconnection<C>) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<Disconnection<C>> {
    return waitFor<Disconnection<C>>(this, 'disconnect', predicate, timeoutMs);
  }

  /** Sets the one active fault (replacing the previous one); `null` heals. */
  async fault(next: Fault | SimpleFault | null): Promise<void> {
    const fault: Fault | null = typeof next === 'string' ? { kind: next } : next;
    const previous = this.current;
    this.current = fault;
    if (previous?.kind === 'refuse' && fault?.kind !== 'refuse') await this.listen(this.listeningPort);
    if (previous?.kind === 'freeze' && fault?.kind !== 'freeze') {
      const parked = this.parked;
      this.parked = [];
      for (const action of parked) action();
    }
    if (fault?.kind === 'refuse' && previous?.kind !== 'refuse') await this.shutdown();
    if (fault?.kind === 'drop') for (const socket of this.sockets) socket.destroy();
  }

  clearFaults(): Promise<void> {
    return this.fault(null);
  }

  /** Stops listening and closes every connection; resolves after every `disconnect` event. */
  async stop(): Promise<void> {
    this.current = null;
    await this.shutdown();
  }

  /** Goes down (if up) and listens again on the same port, with fresh state and no fault. */
  async restart(): Promise<void> {
    await this.stop();
    await this.listen(this.listeningPort);
  }

  protected async listen(port: number): Promise<void> {
    const server = http.createServer((req, res) => this.onRequest(req, res));
    server.on('connection', (socket) => this.onSocket(socket));
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.listeningPort = (server.address() as AddressInfo).port;
  }

  /** Called whenever the server goes down: subclasses drop their per-process state here. */
  protected resetState(): void {}

  protected abstract handleHttp(req: RequestRecord, res: ServerResponse): void;

  /** Called for each upgrade request; either `rejectUpgrade` or `acceptUpgrade` it. */
  protected abstract handleUpgrade(req: RequestRecord, raw: IncomingMessage, socket: Duplex, head: Buffer): void;

  /** Called for each data frame of a registered connection, as text. */
  protected abstract handleFrame(conn: LiveConnection<C>, text: string): void;

  /** Runs `action` now, later (slow) or on healing (freeze). Every answer goes through here. */
  protected gate(action: () => void): void {
    const fault = this.current;
    if (fault?.kind === 'freeze') {
      this.parked.push(action);
    } else if (fault?.kind === 'slow') {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        action();
      }, fault.ms);
      this.timers.add(timer);
    } else {
      action();
    }
  }

  protected respond(res: ServerResponse, status: number, body?: unknown): void {
    if (this.current?.kind === 'garbage') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(HTTP_GARBAGE);
    } else if (body === undefined) {
      res.writeHead(status, { 'content-length': 0 }).end();
    } else {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
    }
  }

  protected rejectUpgrade(socket: Duplex, status: number): void {
    socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
  }

  /** Completes the 101 upgrade. The socket answers pings through `gate` (no pong when frozen). */
  protected acceptUpgrade(raw: IncomingMessage, socket: Duplex, head: Buffer): Promise<WebSocket> {
    return new Promise((resolve) => {
      this.wss.handleUpgrade(raw, socket, head, (ws) => {
        ws.on('error', () => {}); // protocol errors end in 'close', which is what we report
        ws.on('ping', (data) => this.gate(() => ws.pong(data)));
        resolve(ws);
      });
    });
  }

  /** Makes an accepted WebSocket a listed connection and emits `connection`. */
  protected register(ws: WebSocket, socket: Duplex, raw: IncomingMessage, extra: Omit<C, keyof ConnectionBase>): C {
    const tcp = raw.socket;
    const info = {
      id: this.nextId++,
      path: new URL(raw.url ?? '/', 'http://x').pathname,
      remoteAddress: tcp.remoteAddress ?? '',
      remotePort: tcp.remotePort ?? 0,
      connectedAt: new Date(),
      ...extra,
    } as C;
    let settle!: () => void;
    const conn: LiveConnection<C> = { info, ws, socket, closed: new Promise<void>((r) => (settle = r)) };
    this.live.set(info.id, conn);
    ws.on('message', (data: Buffer) => {
      const text = data.toString('utf8');
      this.emit('frame', { connection: info, text });
      this.gate(() => this.handleFrame(conn, text));
    });
    ws.on('close', (code: number, reason: Buffer) => {
      this.live.delete(info.id);
      this.onDisconnect(conn);
      this.emit('disconnect', { ...info, code, reason: reason.toString('utf8') });
      settle();
    });
    this.emit('connection', info);
    return info;
  }

  /** Per-connection cleanup for subclasses, run before `disconnect` is emitted. */
  protected onDisconnect(_conn: LiveConnection<C>): void {}

  protected liveConnections(): IterableIterator<LiveConnection<C>> {
    return this.live.values();
  }

  /** Sends one JSON frame (garbage text under the garbage fault). Not gated: callers are. */
  protected send(ws: WebSocket, payload: unknown): void {
    if (ws.readyState !== WebSocket.OPEN) return;
    ws.send(this.current?.kind === 'garbage' ? WS_GARBAGE : JSON.stringify(payload));
  }

  private async shutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.parked = [];
    if (server) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of this.sockets) socket.destroy();
      await Promise.all([closed, ...[...this.live.values()].map((c) => c.closed)]);
    }
    this.resetState();
  }

  private onSocket(socket: Socket): void {
    socket.on('error', () => {}); // resets show up as 'close'
    if (this.current?.kind === 'drop') {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  private onRequest(raw: IncomingMessage, res: ServerResponse): void {
    readBody(raw).then(
      (body) => {
        const req = this.record(raw, body, false);
        this.gate(() => {
          if (!raw.socket.destroyed) this.handleHttp(req, res);
        });
      },
      () => {}, // the client went away before sending the whole body
    );
  }

  private onUpgrade(raw: IncomingMessage, socket: Duplex, head: Buffer): void {
    const req = this.record(raw, '', true);
    this.gate(() => {
      if (!socket.destroyed) this.handleUpgrade(req, raw, socket, head);
    });
  }

  private record(raw: IncomingMessage, rawBody: string, upgrade: boolean): RequestRecord {
    const url = new URL(raw.url ?? '/', 'http://x');
    const req: RequestRecord = {
      method: raw.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: raw.headers,
      rawBody,
      body: parseJson(rawBody),
      upgrade,
      at: new Date(),
    };
    this.requests.push(req);
    this.emit('request', req);
    return req;
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
    req.on('close', () => reject(new Error('request closed before its end')));
  });
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A header value (first one if repeated), or undefined. */
export function header(req: RequestRecord, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
