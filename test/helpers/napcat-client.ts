// A NapCat-shaped OneBot v11 reverse-WebSocket client, for the fixture bots that LISTEN
// (../../shared/docs/protocols.md, "Reverse WebSocket"): the handshake headers NapCat sends, the
// lifecycle "connect" meta event first, heartbeats, message events, and answers to the bot's
// actions by echo. Just what the link-probe tests and benches need; not a full fake NapCat.
import { WebSocket } from 'ws';

export interface NapcatClientOptions {
  selfId?: number;
  /** Sent as "Authorization: Bearer <token>". */
  accessToken?: string;
  /** Heartbeat meta events every this many ms (NapCat's default 30000); 0: none. */
  heartbeatMs?: number;
}

export interface BotAction {
  action: string;
  params: Record<string, unknown>;
  echo?: unknown;
}

export class NapcatClient {
  readonly actions: BotAction[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: { predicate: (a: BotAction) => boolean; resolve: (a: BotAction) => void }[] = [];
  private heartbeat: NodeJS.Timeout | undefined;
  private messageId = 0;
  readonly selfId: number;

  private constructor(
    readonly ws: WebSocket,
    options: NapcatClientOptions,
  ) {
    this.selfId = options.selfId ?? 10001;
    ws.on('error', () => {});
    ws.on('message', (data: Buffer) => {
      let frame: BotAction;
      try {
        frame = JSON.parse(data.toString('utf8')) as BotAction;
      } catch {
        return;
      }
      if (typeof frame.action !== 'string') return;
      this.actions.push(frame);
      // NapCat answers every action on the same link, by echo.
      this.sendRaw({ status: 'ok', retcode: 0, data: { message_id: ++this.messageId }, message: '', wording: '', echo: frame.echo });
      for (const waiter of this.waiters.filter((w) => w.predicate(frame))) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(frame);
      }
    });
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    void this.closed.then(() => clearInterval(this.heartbeat));
  }

  /** Connects like NapCat's "WebSocket client" network config; resolves once the lifecycle event is sent. */
  static connect(url: string, options: NapcatClientOptions = {}): Promise<NapcatClient> {
    const selfId = options.selfId ?? 10001;
    const ws = new WebSocket(url, {
      headers: {
        'X-Self-ID': String(selfId),
        'X-Client-Role': 'Universal',
        'User-Agent': 'NapCat.Onebot/4.8',
        ...(options.accessToken ? { Authorization: `Bearer ${options.accessToken}` } : {}),
      },
    });
    const client = new NapcatClient(ws, options);
    return new Promise((resolve, reject) => {
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
      ws.once('error', reject);
      ws.once('open', () => {
        client.sendRaw({ time: now(), self_id: selfId, post_type: 'meta_event', meta_event_type: 'lifecycle', sub_type: 'connect' });
        const every = options.heartbeatMs ?? 0;
        if (every > 0) {
          client.heartbeat = setInterval(
            () => client.sendRaw({ time: now(), self_id: selfId, post_type: 'meta_event', meta_event_type: 'heartbeat', status: { online: true, good: true }, interval: every }),
            every,
          );
        }
        resolve(client);
      });
    });
  }

  /** A private message event, as NapCat posts it (array message format). */
  messageEvent(text: string, userId = 20002): Record<string, unknown> {
    return {
      time: now(),
      self_id: this.selfId,
      post_type: 'message',
      message_type: 'private',
      sub_type: 'friend',
      message_id: ++this.messageId,
      user_id: userId,
      message: [{ type: 'text', data: { text } }],
      raw_message: text,
      font: 14,
      sender: { user_id: userId, nickname: 'tester' },
    };
  }

  sendMessage(text: string, userId?: number): void {
    this.sendRaw(this.messageEvent(text, userId));
  }

  /** Resolves with the next action (already received ones too) that matches. */
  waitForAction(predicate: (a: BotAction) => boolean, timeoutMs = 10_000): Promise<BotAction> {
    const seen = this.actions.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`no matching action within ${timeoutMs} ms (got ${this.actions.length})`));
      }, timeoutMs);
      const done = (a: BotAction) => {
        clearTimeout(timer);
        resolve(a);
      };
      this.waiters.push({ predicate, resolve: done });
    });
  }

  /** Bytes queued in our socket (not yet handed to the kernel): what a flood waits on. */
  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  sendRaw(value: unknown): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(value));
  }

  close(): void {
    clearInterval(this.heartbeat);
    this.ws.terminate();
  }
}

function now(): number {
  return Math.floor(Date.now() / 1000);
}

export interface KeepConnectedOptions extends NapcatClientOptions {
  /** Wait between a drop (or a refused connect) and the next attempt. NapCat: ~5 s. */
  reconnectMs?: number;
  /** Send a message event this often while connected (0: never). */
  sendEveryMs?: number;
}

/**
 * NapCat's side of a reverse-WebSocket link over a bot's restarts: connects, and after any drop or
 * refused attempt tries again every `reconnectMs`; optionally keeps sending message events.
 */
export class ReconnectingNapcat {
  /** Every link made, in order. */
  readonly links: NapcatClient[] = [];
  current: NapcatClient | undefined;
  private stopped = false;
  private sent = 0;
  private listeners = new Set<() => void>();

  private constructor(
    private readonly url: string,
    private readonly options: KeepConnectedOptions,
  ) {}

  static start(url: string, options: KeepConnectedOptions = {}): ReconnectingNapcat {
    const napcat = new ReconnectingNapcat(url, options);
    void napcat.loop();
    return napcat;
  }

  /** Resolves once `predicate` holds (checked after every link change and every 50 ms). */
  async until<T>(predicate: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = predicate();
      if (value) return value;
      if (Date.now() >= deadline) throw new Error(`ReconnectingNapcat: condition not met within ${timeoutMs} ms (${this.links.length} links)`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.listeners.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, 50);
        this.listeners.add(wake);
      });
    }
  }

  stop(): void {
    this.stopped = true;
    this.current?.close();
  }

  private notify(): void {
    for (const wake of [...this.listeners]) wake();
  }

  private async loop(): Promise<void> {
    const every = this.options.sendEveryMs ?? 0;
    while (!this.stopped) {
      let client: NapcatClient | undefined;
      try {
        client = await NapcatClient.connect(this.url, this.options);
      } catch {
        client = undefined;
      }
      if (client && !this.stopped) {
        this.current = client;
        this.links.push(client);
        this.notify();
        const sender = every > 0 ? setInterval(() => client?.sendMessage(`message ${++this.sent}`), every) : undefined;
        await client.closed;
        clearInterval(sender);
        this.current = undefined;
        this.notify();
      } else {
        client?.close();
      }
      if (!this.stopped) await new Promise((resolve) => setTimeout(resolve, this.options.reconnectMs ?? 200));
    }
  }
}
