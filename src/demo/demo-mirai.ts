// A small mirai-api-http 2.x for `bot-watchdog demo` (shipped code, not a test double): the HTTP
// adapter's /about and /botList, the WebSocket adapter's /event, /message and /all with
// verifyKey and qq (headers or query), on 127.0.0.1 and a free port. The test suite's fuller fake
// (test/helpers/fake-mirai.ts: sessions, faults, account events) is proven against real clients;
// this one keeps to the same wire format.
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';

export interface DemoLink {
  id: number;
  path: string;
  qq: number;
  connectedAt: number;
}

interface Live {
  link: DemoLink;
  ws: WebSocket;
  socket: Duplex;
}

const WS_PATHS = new Set(['/event', '/message', '/all']);

export class DemoMirai extends EventEmitter<{ connection: [DemoLink]; disconnect: [DemoLink] }> {
  private readonly server = http.createServer((req, res) => this.onRequest(req, res));
  private readonly wss = new WebSocketServer({ noServer: true, clientTracking: false });
  private readonly sockets = new Set<Socket>();
  private readonly live = new Map<number, Live>();
  private nextId = 1;

  private constructor(
    readonly verifyKey: string,
    readonly qq: number,
  ) {
    super();
    this.server.on('connection', (socket: Socket) => {
      socket.on('error', () => {});
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
  }

  static async start(options: { verifyKey: string; qq: number }): Promise<DemoMirai> {
    const mirai = new DemoMirai(options.verifyKey, options.qq);
    await new Promise<void>((resolve, reject) => {
      mirai.server.once('error', reject);
      mirai.server.listen(0, '127.0.0.1', () => resolve());
    });
    return mirai;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  links(path?: string): DemoLink[] {
    return [...this.live.values()].map((l) => l.link).filter((l) => path === undefined || l.path === path);
  }

  /** Sends an event frame (`syncId: "-1"`) to the links on `path`; resolves once it is written. */
  async push(path: string, data: Record<string, unknown>): Promise<void> {
    const sends = [...this.live.values()]
      .filter(({ link }) => link.path === path)
      .map(({ ws }) => new Promise<void>((resolve) => ws.send(JSON.stringify({ syncId: '-1', data }), () => resolve())));
    await Promise.all(sends);
  }

  /** Destroys the TCP socket of each link on `path`: no close frame, its client sees 1006. */
  dropLinks(path: string): number {
    let dropped = 0;
    for (const { link, socket } of this.live.values()) {
      if (link.path !== path) continue;
      socket.destroy();
      dropped++;
    }
    return dropped;
  }

  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const answer = (body: unknown): void => {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
    };
    if (req.method === 'GET' && path === '/about') return answer({ code: 0, msg: '', data: { version: '2.10.0 (bot-watchdog demo)' } });
    if (req.method === 'GET' && path === '/botList') return answer({ code: 0, msg: '', data: [this.qq] });
    res.writeHead(404, { 'content-length': 0 }).end();
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://x');
    if (!WS_PATHS.has(url.pathname)) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    const param = (name: string) => {
      const value = req.headers[name.toLowerCase()];
      return (Array.isArray(value) ? value[0] : value) ?? url.searchParams.get(name) ?? undefined;
    };
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', () => {});
      if (param('verifyKey') !== this.verifyKey) {
        ws.send(JSON.stringify({ syncId: '', data: { code: 1, msg: 'Auth Key错误' } }));
        ws.close(1000, 'Auth Key错误');
        return;
      }
      if (Number(param('qq')) !== this.qq) {
        ws.send(JSON.stringify({ syncId: '', data: { code: 2, msg: '指定Bot不存在' } }));
        ws.close(1000, '指定Bot不存在');
        return;
      }
      ws.send(JSON.stringify({ syncId: '', data: { code: 0, session: randomBytes(4).toString('hex') } }));
      const link: DemoLink = { id: this.nextId++, path: url.pathname, qq: this.qq, connectedAt: performance.now() };
      this.live.set(link.id, { link, ws, socket });
      ws.on('close', () => {
        this.live.delete(link.id);
        this.emit('disconnect', link);
      });
      this.emit('connection', link);
    });
  }
}
