// A fake mirai-api-http 2.x backend: HTTP and WebSocket adapters on one port, as described in
// shared/docs/protocols.md (status codes, session rules, WebSocket handshake and frames).
import { randomInt } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import {
  FakeBackend,
  header,
  isObject,
  type ConnectionBase,
  type LiveConnection,
  type RequestRecord,
} from './fake-backend.js';

export type { Disconnection, Fault, RequestRecord, SimpleFault } from './fake-backend.js';

export type MiraiWsPath = '/message' | '/event' | '/all';

export interface MiraiConnection extends ConnectionBase {
  path: MiraiWsPath;
  qq: number;
  sessionKey: string;
}

export interface FakeMiraiOptions {
  /** Default `"INITKEY"`. */
  verifyKey?: string;
  /** Default true. */
  enableVerify?: boolean;
  /** Bot instances (logged-in QQ accounts). Default `[123456789]`. */
  bots?: number[];
  /** Default `"2.10.0"`. */
  version?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** A session that is never bound expires after this long. Default 180 000 ms. */
  unboundSessionTtlMs?: number;
}

/** A mirai-api-http event, e.g. `{ type: 'BotOfflineEventDropped', qq: 123 }`. */
export interface MiraiEvent {
  type: string;
  [field: string]: unknown;
}

interface StateCode {
  code: number;
  msg: string;
}

interface Session {
  qq: number | null;
  createdAt: number;
}

const SUCCESS: StateCode = { code: 0, msg: 'success' };
const AUTH_KEY_FAIL: StateCode = { code: 1, msg: 'Auth Key错误' };
const NO_BOT: StateCode = { code: 2, msg: '指定Bot不存在' };
const ILLEGAL_SESSION: StateCode = { code: 3, msg: 'Session失效或不存在' };
const NOT_VERIFIED: StateCode = { code: 4, msg: 'Session未认证' };
const NO_ELEMENT: StateCode = { code: 5, msg: '指定对象不存在' };
const NO_OPERATION: StateCode = { code: 6, msg: '指定操作不支持' };
const INVALID_PARAMETER: StateCode = { code: 400, msg: '无效参数' };

const WS_PATHS = new Set<string>(['/message', '/event', '/all']);
const ROUTES = new Set([
  'GET /about',
  'GET /botList',
  'POST /verify',
  'POST /bind',
  'GET /sessionInfo',
  'POST /release',
  'POST /sendFriendMessage',
  'POST /sendGroupMessage',
]);
const KEY_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export class FakeMirai extends FakeBackend<MiraiConnection> {
  private readonly verifyKey: string;
  private readonly enableVerify: boolean;
  private readonly version: string;
  private readonly unboundSessionTtlMs: number;
  private bots: number[];
  private readonly sessionMap = new Map<string, Session>();
  private nextMessageId = 1;

  private constructor(opts: FakeMiraiOptions) {
    super();
    this.verifyKey = opts.verifyKey ?? 'INITKEY';
    this.enableVerify = opts.enableVerify ?? true;
    this.version = opts.version ?? '2.10.0';
    this.unboundSessionTtlMs = opts.unboundSessionTtlMs ?? 180_000;
    this.bots = [...(opts.bots ?? [123456789])];
  }

  static async start(opts: FakeMiraiOptions = {}): Promise<FakeMirai> {
    const fake = new FakeMirai(opts);
    await fake.listen(opts.port ?? 0);
    return fake;
  }

  setBots(bots: number[]): void {
    this.bots = [...bots];
  }

  /** Number of live sessions (bound or not, HTTP or WebSocket). */
  sessions(): number {
    this.expireUnbound();
    return this.sessionMap.size;
  }

  /**
   * Pushes an event with syncId "-1": message events (type ending in "Message") go to /message
   * and /all, other events to /event and /all. With `qq`, only to clients bound to that bot.
   * Returns how many clients it is sent to.
   */
  pushEvent(event: MiraiEvent, qq?: number): number {
    const channel = event.type.endsWith('Message') ? '/message' : '/event';
    const targets = [...this.liveConnections()].filter(
      (c) => (c.info.path === channel || c.info.path === '/all') && (qq === undefined || c.info.qq === qq),
    );
    this.gate(() => {
      for (const c of targets) this.send(c.ws, { syncId: '-1', data: event });
    });
    return targets.length;
  }

  protected override resetState(): void {
    this.sessionMap.clear();
  }

  protected override onDisconnect(conn: LiveConnection<MiraiConnection>): void {
    this.sessionMap.delete(conn.info.sessionKey); // closing the socket closes its session
  }

  protected handleHttp(req: RequestRecord, res: ServerResponse): void {
    if (!ROUTES.has(`${req.method} ${req.path}`)) return this.respond(res, 404);
    const wrong = this.wrongCode();
    if (wrong) return this.respond(res, 200, wrong);
    if (req.method === 'GET') return this.respond(res, 200, this.httpGet(req));
    if (!isObject(req.body)) return this.respond(res, 200, INVALID_PARAMETER);
    return this.respond(res, 200, this.httpPost(req, req.body));
  }

  protected async handleUpgrade(
    req: RequestRecord,
    raw: IncomingMessage,
    socket: Duplex,
    head: Buffer,
  ): Promise<void> {
    if (!WS_PATHS.has(req.path)) return this.rejectUpgrade(socket, 404);
    const ws = await this.acceptUpgrade(raw, socket, head); // the 101 always comes first
    const param = (name: string): string | undefined => header(req, name) ?? req.query[name];
    const verifyKey = param('verifyKey');
    const sessionKey = param('sessionKey');
    const qq = parseQQ(param('qq'));

    const wrong = this.wrongCode();
    if (wrong) return this.refuseWs(ws, wrong);
    if (this.enableVerify && verifyKey !== this.verifyKey) return this.refuseWs(ws, AUTH_KEY_FAIL);
    let key: string;
    let bot: number;
    if (sessionKey === undefined && qq !== undefined) {
      if (!this.bots.includes(qq)) return this.refuseWs(ws, NO_BOT);
      key = this.createSession(qq);
      bot = qq;
    } else {
      if (sessionKey === undefined) return this.refuseWs(ws, INVALID_PARAMETER);
      const session = this.session(sessionKey);
      if (!session) return this.refuseWs(ws, ILLEGAL_SESSION);
      if (session.qq === null) return this.refuseWs(ws, NOT_VERIFIED);
      key = sessionKey;
      bot = session.qq;
    }
    this.send(ws, { syncId: '', data: { code: 0, session: key } });
    this.register(ws, socket, raw, { qq: bot, sessionKey: key });
  }

  protected handleFrame(conn: LiveConnection<MiraiConnection>, text: string): void {
    const session = this.session(conn.info.sessionKey);
    if (!session) {
      conn.ws.close(1000); // its session was released: the server stops serving this socket
      return;
    }
    const incoming = parseJsonObject(text);
    if (!incoming || typeof incoming.command !== 'string') return this.send(conn.ws, INVALID_PARAMETER);
    const syncId = incoming.syncId === undefined || incoming.syncId === null ? '' : String(incoming.syncId);
    const data = this.wrongCode() ?? this.command(incoming.command, conn.info.sessionKey, session);
    this.send(conn.ws, { syncId, data });
  }

  private httpGet(req: RequestRecord): unknown {
    switch (req.path) {
      case '/about':
        return { code: 0, msg: '', data: { version: this.version } };
      case '/botList':
        return { code: 0, msg: '', data: this.bots };
      default: {
        // /sessionInfo
        const key = this.headerSessionKey(req) ?? req.query['sessionKey'] ?? '';
        return this.withBoundSession(key, (bound) => this.sessionInfo(key, bound));
      }
    }
  }

  private httpPost(req: RequestRecord, body: Record<string, unknown>): unknown {
    const bodyKey = typeof body['sessionKey'] === 'string' ? body['sessionKey'] : '';
    switch (req.path) {
      case '/verify': {
        if (this.enableVerify && body['verifyKey'] !== this.verifyKey) return AUTH_KEY_FAIL;
        return { code: 0, session: this.createSession(null) };
      }
      case '/bind': {
        const session = this.session(bodyKey);
        if (!session) return ILLEGAL_SESSION;
        if (session.qq === null) {
          const qq = parseQQ(body['qq']);
          if (qq === undefined || !this.bots.includes(qq)) return NO_BOT;
          session.qq = qq;
        }
        return SUCCESS;
      }
      case '/release': {
        const qq = parseQQ(body['qq']);
        if (qq === undefined || !this.bots.includes(qq)) return NO_BOT;
        const session = this.session(bodyKey);
        if (!session) return ILLEGAL_SESSION;
        if (session.qq === null) return NOT_VERIFIED;
        if (session.qq !== qq) return NO_ELEMENT;
        this.sessionMap.delete(bodyKey);
        return SUCCESS;
      }
      default: {
        // /sendFriendMessage, /sendGroupMessage: a session from the headers wins over the body's
        return this.withBoundSession(this.headerSessionKey(req) ?? bodyKey, () => this.messageReceipt());
      }
    }
  }

  private command(name: string, key: string, session: Session): unknown {
    switch (name) {
      case 'about':
        return { code: 0, msg: '', data: { version: this.version } };
      case 'botList':
        return { code: 0, msg: '', data: this.bots };
      case 'sessionInfo':
        return this.sessionInfo(key, session.qq ?? 0);
      case 'sendFriendMessage':
      case 'sendGroupMessage':
        return this.messageReceipt();
      default:
        return NO_OPERATION;
    }
  }

  private withBoundSession(key: string, ok: (qq: number) => unknown): unknown {
    const session = this.session(key);
    if (!session) return ILLEGAL_SESSION;
    if (session.qq === null) return NOT_VERIFIED;
    return ok(session.qq);
  }

  private sessionInfo(key: string, qq: number): unknown {
    return { code: 0, msg: '', data: { sessionKey: key, qq: { id: qq, nickname: '', remark: '' } } };
  }

  private messageReceipt(): unknown {
    return { code: 0, msg: 'success', messageId: this.nextMessageId++ };
  }

  /** `sessionKey: S` or `Authorization: session S`, when it names a live session. */
  private headerSessionKey(req: RequestRecord): string | undefined {
    const direct = header(req, 'sessionKey');
    if (direct !== undefined && this.session(direct)) return direct;
    const [scheme, value] = (header(req, 'authorization') ?? '').split(' ', 2);
    const fromAuth = /^session(key)?$/i.test(scheme ?? '') ? value : undefined;
    return fromAuth !== undefined && this.session(fromAuth) ? fromAuth : undefined;
  }

  private session(key: string): Session | undefined {
    this.expireUnbound();
    return this.sessionMap.get(key);
  }

  private createSession(qq: number | null): string {
    let key = '';
    do {
      key = Array.from({ length: 8 }, () => KEY_CHARS[randomInt(KEY_CHARS.length)]).join('');
    } while (this.sessionMap.has(key));
    this.sessionMap.set(key, { qq, createdAt: Date.now() });
    return key;
  }

  private expireUnbound(): void {
    const oldest = Date.now() - this.unboundSessionTtlMs;
    for (const [key, s] of this.sessionMap) if (s.qq === null && s.createdAt < oldest) this.sessionMap.delete(key);
  }

  private wrongCode(): StateCode | null {
    const fault = this.activeFault;
    if (fault?.kind !== 'wrongCode') return null;
    return { code: fault.code ?? 500, msg: fault.msg ?? 'fake internal error' };
  }

  /** One frame with the code, then close 1000 with the message as the reason. */
  private refuseWs(ws: WebSocket, state: StateCode): void {
    this.send(ws, { syncId: '', data: state });
    ws.close(1000, state.msg);
  }
}

/** Like Kotlin's toLongOrNull: a JSON number or a decimal string. */
function parseQQ(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && /^-?\d{1,15}$/.test(value)) return Number(value);
  return undefined;
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
