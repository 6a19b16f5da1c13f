// A fake NapCat: the OneBot v11 reverse-WebSocket CLIENT that NapCat runs for each "WebSocket
// client" of its network settings (shared/docs/protocols.md, "Reverse WebSocket"). It dials the
// bot (or the watchdog) with NapCat's headers, sends the lifecycle event on every connect,
// heartbeats from a timer that runs apart from the link (as NapCat's does), message events and
// NapCat's `bot_offline` notice, answers actions by echo, and reconnects every
// `reconnectInterval` after a drop, a refusal or a failed connect.
import { EventEmitter } from 'node:events';
import { WebSocket, type RawData } from 'ws';

export interface FakeNapCatOptions {
  /** ws://host:port/path of the server (the bot, or the watchdog). */
  url: string;
  /** The QQ account. Default 10001. */
  selfId?: number;
  nickname?: string;
  /** NapCat always sends `Authorization: Bearer <token>` ("Bearer " when it has none). */
  accessToken?: string;
  /** Where the token goes: NapCat's header (default), `?access_token=` (as some other clients), or both. */
  tokenIn?: 'header' | 'query' | 'both';
  /** `X-Client-Role`; null leaves the header out. Default "Universal". */
  clientRole?: string | null;
  /** Heartbeat period in ms; 0 = no automatic heartbeats (send them with `heartbeat()`). Default 30000 (NapCat's). */
  heartbeatInterval?: number;
  /** What the heartbeats announce as `interval`. Default: heartbeatInterval. */
  announcedInterval?: number;
  /** Delay before reconnecting after a drop or a failed connect. Default 5000 (NapCat's). */
  reconnectInterval?: number;
  /** NapCat gives a handshake 2 s. */
  handshakeTimeout?: number;
  /** Account state at start (status.online of heartbeats). Default true. */
  online?: boolean;
}

export interface ActionCall {
  action: string;
  params: Record<string, unknown>;
  echo: unknown;
}

export interface FakeNapCatEvents {
  /** The handshake completed (and the lifecycle event was sent). */
  open: [{ connection: number }];
  close: [{ code: number; reason: string }];
  /** A connect failed: refused by the server (`status`), or a network error. Not 'error': nobody must be forced to listen. */
  'connect-failed': [{ message: string; status?: number }];
  action: [ActionCall];
  /** Frames from the server that are neither actions nor JSON. */
  garbage: [string];
}

type Params = Record<string, unknown>;

export class FakeNapCat extends EventEmitter<FakeNapCatEvents> {
  readonly selfId: number;
  private readonly opts: Required<Omit<FakeNapCatOptions, 'accessToken' | 'clientRole' | 'announcedInterval' | 'nickname'>> &
    Pick<FakeNapCatOptions, 'accessToken' | 'announcedInterval'> & { clientRole: string | null; nickname: string };
  private ws: WebSocket | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private running = false;
  private heartbeatsOn = true;
  private online: boolean;
  private nextMessageId = 1000;
  /** Connection attempts, and completed handshakes. */
  attempts = 0;
  opens = 0;
  readonly actions: ActionCall[] = [];
  /** Heartbeats sent (on an open link). */
  heartbeatsSent = 0;

  constructor(options: FakeNapCatOptions) {
    super();
    this.selfId = options.selfId ?? 10001;
    this.online = options.online ?? true;
    this.opts = {
      url: options.url,
      selfId: this.selfId,
      nickname: options.nickname ?? 'NapCat',
      accessToken: options.accessToken,
      tokenIn: options.tokenIn ?? 'header',
      clientRole: options.clientRole === undefined ? 'Universal' : options.clientRole,
      heartbeatInterval: options.heartbeatInterval ?? 30_000,
      announcedInterval: options.announcedInterval,
      reconnectInterval: options.reconnectInterval ?? 5000,
      handshakeTimeout: options.handshakeTimeout ?? 2000,
      online: this.online,
    };
  }

  /** Starts the client (as NapCat does when the network config is enabled): heartbeat timer, then connect. */
  static start(options: FakeNapCatOptions): FakeNapCat {
    const fake = new FakeNapCat(options);
    fake.running = true;
    if (fake.opts.heartbeatInterval > 0) {
      fake.heartbeatTimer = setInterval(() => {
        if (fake.heartbeatsOn) fake.heartbeat();
      }, fake.opts.heartbeatInterval);
    }
    fake.connect();
    return fake;
  }

  isOpen(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** Resolves at the next completed handshake (at once if open and `now` is true). */
  waitForOpen(now = false, timeoutMs = 20_000): Promise<void> {
    if (now && this.isOpen()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onOpen = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.off('open', onOpen);
        reject(new Error(`FakeNapCat: no link opened within ${timeoutMs} ms`));
      }, timeoutMs);
      this.once('open', onOpen);
    });
  }

  /** Resolves with the next action call matching `predicate` (earlier ones count when `past`). */
  waitForAction(predicate: (call: ActionCall) => boolean, past = false, timeoutMs = 10_000): Promise<ActionCall> {
    const seen = past ? this.actions.find(predicate) : undefined;
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('action', onAction);
        reject(new Error(`FakeNapCat: no matching action within ${timeoutMs} ms (got: ${this.actions.map((a) => a.action).join(', ') || 'none'})`));
      }, timeoutMs);
      const onAction = (call: ActionCall) => {
        if (!predicate(call)) return;
        clearTimeout(timer);
        this.off('action', onAction);
        resolve(call);
      };
      this.on('action', onAction);
    });
  }

  /** Sends one heartbeat now (if the link is open). */
  heartbeat(): boolean {
    const interval = this.opts.announcedInterval ?? this.opts.heartbeatInterval;
    const sent = this.send({ ...this.base('meta_event'), meta_event_type: 'heartbeat', status: { online: this.online, good: true }, interval });
    if (sent) this.heartbeatsSent++;
    return sent;
  }

  /** Heartbeats stop (the link stays open), as in a NapCat whose timer died. */
  stopHeartbeats(): void {
    this.heartbeatsOn = false;
  }

  resumeHeartbeats(): void {
    this.heartbeatsOn = true;
  }

  /** The account is kicked: NapCat's `bot_offline` notice, then heartbeats say `online: false`. */
  kick(tag = '被挤下线', message = '当前账号在其他设备登录'): boolean {
    this.online = false;
    return this.send({ ...this.base('notice'), notice_type: 'bot_offline', user_id: this.selfId, tag, message });
  }

  /** Heartbeats say `status.online` = `online` from now on (a relogin, or NapCat's own state). */
  setOnline(online: boolean): void {
    this.online = online;
  }

  /** A private message from `userId`, as NapCat posts it (array format). Returns its message_id. */
  privateMessage(userId: number, text: string, nickname = 'friend'): number {
    const messageId = this.nextMessageId++;
    this.send({
      ...this.base('message'),
      message_type: 'private',
      sub_type: 'friend',
      message_id: messageId,
      user_id: userId,
      message: [{ type: 'text', data: { text } }],
      message_format: 'array',
      raw_message: text,
      font: 14,
      sender: { user_id: userId, nickname, card: '' },
    });
    return messageId;
  }

  groupMessage(groupId: number, userId: number, text: string, nickname = 'member'): number {
    const messageId = this.nextMessageId++;
    this.send({
      ...this.base('message'),
      message_type: 'group',
      sub_type: 'normal',
      message_id: messageId,
      group_id: groupId,
      user_id: userId,
      message: [{ type: 'text', data: { text } }],
      message_format: 'array',
      raw_message: text,
      font: 14,
      sender: { user_id: userId, nickname, card: '', role: 'member' },
    });
    return messageId;
  }

  /** Any frame, as it is (objects as JSON). */
  sendRaw(data: string | Buffer | Params, binary = false): boolean {
    if (!this.isOpen()) return false;
    this.ws!.send(typeof data === 'string' || Buffer.isBuffer(data) ? data : JSON.stringify(data), { binary });
    return true;
  }

  /** The TCP connection dies without a close frame (the server sees 1006); NapCat reconnects. */
  drop(): void {
    this.ws?.terminate();
  }

  /** A clean close; NapCat still reconnects. */
  disconnect(code = 1000, reason = ''): void {
    this.ws?.close(code, reason);
  }

  /** NapCat stops: no reconnect, no heartbeats, the link closed. */
  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.reconnectTimer);
    const ws = this.ws;
    this.ws = undefined;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      ws.once('close', () => resolve());
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(1000);
      setTimeout(() => ws.terminate(), 500).unref();
    });
  }

  private connect(): void {
    if (!this.running || this.ws) return;
    this.attempts++;
    const { accessToken, tokenIn, clientRole } = this.opts;
    const url = new URL(this.opts.url);
    if (accessToken && tokenIn !== 'header') url.searchParams.set('access_token', accessToken);
    const headers: Record<string, string> = { 'X-Self-ID': String(this.selfId), 'User-Agent': 'OneBot/11' };
    if (tokenIn !== 'query') headers['Authorization'] = `Bearer ${accessToken ?? ''}`;
    if (clientRole !== null) headers['X-Client-Role'] = clientRole;
    const ws = new WebSocket(url, { headers, handshakeTimeout: this.opts.handshakeTimeout, perMessageDeflate: false });
    this.ws = ws;
    let failed = false;
    ws.on('open', () => {
      this.opens++;
      this.send({ ...this.base('meta_event'), meta_event_type: 'lifecycle', sub_type: 'connect' });
      this.emit('open', { connection: this.opens });
    });
    ws.on('message', (data: RawData, isBinary: boolean) => this.onFrame(data, isBinary));
    ws.on('error', (error: Error) => {
      failed = true;
      const status = /Unexpected server response: (\d+)/.exec(error.message)?.[1];
      this.emit('connect-failed', { message: error.message, ...(status ? { status: Number(status) } : {}) });
    });
    ws.once('close', (code: number, reason: Buffer) => {
      if (this.ws === ws) this.ws = undefined;
      if (!failed) this.emit('close', { code, reason: reason.toString('utf8') });
      if (this.running) this.reconnectTimer = setTimeout(() => this.connect(), this.opts.reconnectInterval);
    });
  }

  private onFrame(data: RawData, isBinary: boolean): void {
    const text = isBinary ? '' : data.toString();
    let call: unknown;
    try {
      call = JSON.parse(text);
    } catch {
      this.emit('garbage', text);
      // NapCat answers a frame it cannot parse with retcode 1400 and no echo.
      this.send(failure('json解析失败,请检查数据格式', 1400, undefined));
      return;
    }
    if (typeof call !== 'object' || call === null || typeof (call as Params)['action'] !== 'string') {
      this.emit('garbage', text);
      return;
    }
    const { action, params, echo } = call as { action: string; params?: unknown; echo?: unknown };
    const args = typeof params === 'object' && params !== null ? (params as Params) : {};
    const record: ActionCall = { action, params: args, echo };
    this.actions.push(record);
    this.emit('action', record);
    const answer = this.answer(action, args);
    this.send(answer === undefined ? failure(`不支持的Api ${action}`, 1404, echo) : { status: 'ok', retcode: 0, data: answer, message: '', wording: '', echo });
  }

  private answer(action: string, _params: Params): unknown {
    switch (action) {
      case 'get_login_info':
        return { user_id: this.selfId, nickname: this.opts.nickname };
      case 'get_status':
        return { online: this.online, good: true, stat: {} };
      case 'get_version_info':
        return { app_name: 'NapCat.Onebot', protocol_version: 'v11', app_version: '4.8.0' };
      case 'send_msg':
      case 'send_private_msg':
      case 'send_group_msg':
        return { message_id: this.nextMessageId++ };
      default:
        return undefined;
    }
  }

  private base(postType: string): Params {
    return { time: Math.floor(Date.now() / 1000), self_id: this.selfId, post_type: postType };
  }

  private send(frame: Params): boolean {
    if (!this.isOpen()) return false;
    this.ws!.send(JSON.stringify(frame));
    return true;
  }
}

function failure(message: string, retcode: number, echo: unknown): Params {
  return { status: 'failed', retcode, data: null, message, wording: message, echo: echo ?? null };
}
