// A fake OneBot v11 implementation shaped like go-cqhttp: HTTP API and forward WebSocket
// (/api, /event, / for both) on one port, as described in shared/docs/protocols.md.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  FakeBackend,
  header,
  isObject,
  type ConnectionBase,
  type LiveConnection,
  type RequestRecord,
} from './fake-backend.js';

export type { Disconnection, Fault, RequestRecord, SimpleFault } from './fake-backend.js';

export type OneBotWsPath = '/' | '/api' | '/event';

export type OneBotConnection = ConnectionBase & { path: OneBotWsPath };

export interface FakeOneBotOptions {
  /** When set, HTTP and WebSocket need it (401 when missing, 403 when wrong). */
  accessToken?: string;
  /** Default 10001. */
  selfId?: number;
  /** Default "fake-bot". */
  nickname?: string;
  /** Heartbeat meta event period on / and /event. Default 5000 ms. */
  heartbeatInterval?: number;
  /** The `interval` the heartbeats announce, when it is not the real one (a server that lies, e.g. 1). Default: heartbeatInterval. */
  announcedInterval?: number;
  /** Default 0 (any free port). */
  port?: number;
}

type Params = Record<string, unknown>;

interface Failure {
  status: 'failed';
  retcode: number;
  data: null;
  msg: string;
  wording: string;
}

const WS_PATHS = new Set<string>(['/', '/api', '/event']);
const API_NOT_FOUND: Failure = { status: 'failed', retcode: 1404, data: null, msg: 'API_NOT_FOUND', wording: 'API不存在' };
const BAD_REQUEST: Failure = { status: 'failed', retcode: 1400, data: null, msg: 'BAD_REQUEST', wording: '请求格式错误' };

export class FakeOneBot extends FakeBackend<OneBotConnection> {
  private readonly accessToken: string | undefined;
  private readonly selfId: number;
  private readonly nickname: string;
  private readonly heartbeatInterval: number;
  private readonly announcedInterval: number;
  private online = true;
  private good = true;
  private heartbeats = true;
  private nextMessageId = 1;
  private readonly heartbeatTimers = new Map<number, NodeJS.Timeout>();
  private readonly actions: Record<string, (params: Params) => unknown> = {
    get_status: () => this.status(),
    get_login_info: () => ({ user_id: this.selfId, nickname: this.nickname }),
    get_version_info: () => ({
      app_name: 'go-cqhttp',
      app_version: 'v1.2.0',
      app_full_name: 'go-cqhttp-v1.2.0_linux_amd64-go1.20',
      protocol_version: 'v11',
      coolq_edition: 'pro',
      runtime_os: 'linux',
    }),
    send_private_msg: () => ({ message_id: this.nextMessageId++ }),
    send_group_msg: () => ({ message_id: this.nextMessageId++ }),
    send_msg: () => ({ message_id: this.nextMessageId++ }),
  };

  private constructor(opts: FakeOneBotOptions) {
    super();
    this.accessToken = opts.accessToken;
    this.selfId = opts.selfId ?? 10001;
    this.nickname = opts.nickname ?? 'fake-bot';
    this.heartbeatInterval = opts.heartbeatInterval ?? 5000;
    this.announcedInterval = opts.announcedInterval ?? this.heartbeatInterval;
  }

  static async start(opts: FakeOneBotOptions = {}): Promise<FakeOneBot> {
    const fake = new FakeOneBot(opts);
    await fake.listen(opts.port ?? 0);
    return fake;
  }

  /** Reflected in get_status and in the following heartbeats. */
  setOnline(online: boolean): void {
    this.online = online;
  }

  setGood(good: boolean): void {
    this.good = good;
  }

  /** Heartbeats stop on every connection (the sockets stay open) until `resumeHeartbeats`. */
  stopHeartbeats(): void {
    this.heartbeats = false;
  }

  resumeHeartbeats(): void {
    this.heartbeats = true;
  }

  /** Sends an event (time and self_id filled in when absent) to / and /event clients. */
  pushEvent(event: Params): number {
    const targets = [...this.liveConnections()].filter((c) => c.info.path !== '/api');
    this.gate(() => {
      for (const c of targets) this.send(c.ws, { time: now(), self_id: this.selfId, ...event });
    });
    return targets.length;
  }

  protected override onDisconnect(conn: LiveConnection<OneBotConnection>): void {
    clearInterval(this.heartbeatTimers.get(conn.info.id));
    this.heartbeatTimers.delete(conn.info.id);
  }

  protected handleHttp(req: RequestRecord, res: ServerResponse): void {
    const denied = this.tokenStatus(req);
    if (denied) return this.respond(res, denied);
    const action = this.actions[req.path.slice(1)];
    if (!action || (req.method !== 'GET' && req.method !== 'POST')) return this.respond(res, 404);
    this.respond(res, 200, this.wrongCode() ?? ok(action({ ...req.query, ...bodyParams(req) })));
  }

  protected async handleUpgrade(
    req: RequestRecord,
    raw: IncomingMessage,
    socket: Duplex,
    head: Buffer,
  ): Promise<void> {
    if (!WS_PATHS.has(req.path)) return this.rejectUpgrade(socket, 404);
    const denied = this.tokenStatus(req);
    if (denied) return this.rejectUpgrade(socket, denied); // refused before the upgrade
    const ws = await this.acceptUpgrade(raw, socket, head);
    if (req.path === '/api') {
      this.register(ws, socket, raw, {});
      return;
    }
    this.send(ws, this.lifecycle());
    const { id } = this.register(ws, socket, raw, {});
    const beat = (): void => {
      if (this.heartbeats) this.send(ws, this.heartbeat());
    };
    const tick = (): void => {
      if (this.activeFault?.kind !== 'freeze') this.gate(beat); // a frozen ticker piles nothing up
    };
    this.heartbeatTimers.set(id, setInterval(tick, this.heartbeatInterval));
  }

  protected handleFrame(conn: LiveConnection<OneBotConnection>, text: string): void {
    if (conn.info.path === '/event') return;
    let call: unknown;
    try {
      call = JSON.parse(text);
    } catch {
      return this.send(conn.ws, BAD_REQUEST);
    }
    if (!isObject(call) || typeof call['action'] !== 'string') return this.send(conn.ws, BAD_REQUEST);
    const action = this.actions[call['action']];
    const params = isObject(call['params']) ? call['params'] : {};
    const body = this.wrongCode() ?? (action ? ok(action(params)) : API_NOT_FOUND);
    this.send(conn.ws, { ...body, echo: call['echo'] });
  }

  /** go-cqhttp: the token from `Authorization: <scheme> T`, else from `?access_token=T`. */
  private tokenStatus(req: RequestRecord): 401 | 403 | undefined {
    if (this.accessToken === undefined) return undefined;
    const fromHeader = header(req, 'authorization')?.split(' ', 2)[1];
    const token = fromHeader || req.query['access_token'];
    if (!token) return 401;
    return token === this.accessToken ? undefined : 403;
  }

  private lifecycle(): Params {
    const event = { post_type: 'meta_event', meta_event_type: 'lifecycle', sub_type: 'connect' };
    return { ...event, self_id: this.selfId, time: now() };
  }

  private heartbeat(): Params {
    const beat = { post_type: 'meta_event', meta_event_type: 'heartbeat', self_id: this.selfId, time: now() };
    return { ...beat, status: this.status(), interval: this.announcedInterval };
  }

  private status(): Params {
    const app = { app_initialized: true, app_enabled: true, plugins_good: null, app_good: true };
    return { ...app, online: this.online, good: this.good };
  }

  private wrongCode(): Failure | null {
    const fault = this.activeFault;
    if (fault?.kind !== 'wrongCode') return null;
    const msg = fault.msg ?? 'fake failure';
    return { status: 'failed', retcode: fault.code ?? 100, data: null, msg, wording: msg };
  }
}

function ok(data: unknown): { status: 'ok'; retcode: 0; data: unknown } {
  return { status: 'ok', retcode: 0, data };
}

/** POST parameters: a JSON object, or a form. */
function bodyParams(req: RequestRecord): Params {
  if (isObject(req.body)) return req.body;
  if (/application\/x-www-form-urlencoded/.test(header(req, 'content-type') ?? '')) {
    return Object.fromEntries(new URLSearchParams(req.rawBody));
  }
  return {};
}

function now(): number {
  return Math.floor(Date.now() / 1000);
}
