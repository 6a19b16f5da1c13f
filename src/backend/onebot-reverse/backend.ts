import type { TimerHandle } from '../../clock/clock.js';
import { EventEmitter } from 'node:events';
import { systemTimers, type Timers } from '../timers.js';
import { formatListen, parseListen, type ListenAddress } from './listen-address.js';
import {
  initialReadiness,
  isReady,
  reduce,
  NAPCAT_DEFAULT_INTERVAL_MS,
  type ReadinessEffect,
  type ReadinessEvent,
  type ReadinessState,
} from './readiness.js';
import { ReverseServer, type ConnectionInfo } from './server.js';

export interface OneBotReverseOptions {
  /** `backend.listen`: a port or "host:port" (or an address; port 0 picks a free port, for tests). */
  listen: string | number | ListenAddress;
  /** `backend.accessToken`: required from NapCat when set. */
  accessToken?: string | undefined;
  timers?: Timers;
  /** Heartbeat interval assumed before NapCat announces one. Default 30 s (NapCat's default). */
  assumedIntervalMs?: number;
  /** Time between attempts to listen after a failure (EADDRINUSE…). Default 5 s. */
  listenRetryMs?: number;
  maxConnections?: number;
  maxPayload?: number;
  handshakeTimeout?: number;
}

type At = { at: number };
type EffectOf<T extends ReadinessEffect['type']> = Omit<Extract<ReadinessEffect, { type: T }>, 'type'> & At;

export interface OneBotReverseEvents {
  ready: [EffectOf<'ready'>];
  down: [EffectOf<'down'>];
  blip: [EffectOf<'blip'>];
  'account-offline': [EffectOf<'account-offline'>];
  'account-online': [EffectOf<'account-online'>];
  /** Every heartbeat (debug; for tests and a first-heartbeat log line). */
  heartbeat: [{ id: number; intervalMs: number | undefined; online: boolean | undefined } & At];
  /** NapCat linked (debug). */
  connection: [ConnectionInfo & At];
  disconnection: [{ id: number; code: number; reason: string } & At];
  /** A handshake refused: our token and NapCat's differ (401/403: a misconfiguration), or too many links (503). */
  refused: [{ status: 401 | 403 | 503; reason: string; remote: string } & At];
  /** A frame that is not OneBot (binary, not JSON). Counted; reported once per connection. */
  garbage: [{ id: number; reason: string } & At];
  listening: [{ address: string } & At];
  'listen-error': [{ address: string; code: string | undefined; reason: string; retryInMs: number } & At];
}

export interface OneBotReverseSnapshot {
  listening: string | undefined;
  /** starting (nothing seen yet), up, down. */
  phase: ReadinessState['phase'];
  ready: boolean;
  phaseForMs: number;
  account: ReadinessState['account'];
  accountForMs: number;
  offline: ReadinessState['offline'];
  selfId: number | undefined;
  connections: number;
  intervalMs: number;
  lastHeartbeatAgoMs: number | undefined;
  lastReason: string;
  refused: number;
  garbageFrames: number;
}

/**
 * backend.kind "onebot-reverse": the watchdog as one more reverse-WebSocket client of NapCat.
 * Listens on `backend.listen`; NapCat connects and pushes its lifecycle event, heartbeats and
 * `bot_offline` notices, from which the pure reducer in readiness.ts derives `ready`, `down`,
 * `account-offline` and `account-online`. It never sends NapCat anything. Listening errors are
 * reported and retried; nothing here throws at its caller after construction.
 */
export class OneBotReverseBackend extends EventEmitter<OneBotReverseEvents> {
  private readonly timers: Timers;
  private readonly address: ListenAddress;
  private readonly assumedIntervalMs: number;
  private readonly listenRetryMs: number;
  private server: ReverseServer | undefined;
  private state: ReadinessState;
  private timer: { handle: TimerHandle; at: number } | undefined;
  private retryTimer: TimerHandle | undefined;
  private running = false;
  private refusedCount = 0;
  private garbageCount = 0;
  private readonly garbageReported = new Set<number>();

  constructor(private readonly options: OneBotReverseOptions) {
    super();
    this.timers = options.timers ?? systemTimers;
    const address = typeof options.listen === 'object' ? options.listen : parseListen(options.listen);
    if (!address) throw new Error(`backend.listen: expected a port or "host:port", got ${JSON.stringify(options.listen)}`);
    this.address = address;
    this.assumedIntervalMs = options.assumedIntervalMs ?? NAPCAT_DEFAULT_INTERVAL_MS;
    this.listenRetryMs = options.listenRetryMs ?? 5000;
    this.state = initialReadiness(this.timers.now(), this.assumedIntervalMs);
  }

  /** Starts listening. Resolves after the first attempt, whether it worked or not (a failure is retried). */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.state = initialReadiness(this.timers.now(), this.assumedIntervalMs);
    this.arm();
    await this.tryListen();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.timers.clearTimeout(this.retryTimer);
    if (this.timer) this.timers.clearTimeout(this.timer.handle);
    this.timer = undefined;
    const server = this.server;
    this.server = undefined;
    await server?.close();
  }

  /** A connection from NapCat with fresh heartbeats. */
  isReady(): boolean {
    return isReady(this.state, this.timers.now());
  }

  /** False only when NapCat said its QQ account is offline (unknown counts as online). */
  accountOnline(): boolean {
    return this.state.account !== 'offline';
  }

  lastReason(): string {
    return this.state.lastReason;
  }

  /** The bound address (with the real port when listening on port 0). */
  listeningOn(): ListenAddress | undefined {
    return this.server?.address();
  }

  snapshot(): OneBotReverseSnapshot {
    const now = this.timers.now();
    const s = this.state;
    const bound = this.server?.address();
    return {
      listening: bound ? formatListen(bound) : undefined,
      phase: s.phase,
      ready: isReady(s, now),
      phaseForMs: now - s.phaseSince,
      account: s.account,
      accountForMs: now - s.accountSince,
      offline: s.offline,
      selfId: s.selfId,
      connections: s.open.length,
      intervalMs: s.intervalMs,
      lastHeartbeatAgoMs: s.lastHeartbeatAt === undefined ? undefined : now - s.lastHeartbeatAt,
      lastReason: s.lastReason,
      refused: this.refusedCount,
      garbageFrames: this.garbageCount,
    };
  }

  private async tryListen(): Promise<void> {
    const server = new ReverseServer(
      {
        address: this.address,
        accessToken: this.options.accessToken,
        ...(this.options.maxConnections === undefined ? {} : { maxConnections: this.options.maxConnections }),
        ...(this.options.maxPayload === undefined ? {} : { maxPayload: this.options.maxPayload }),
        ...(this.options.handshakeTimeout === undefined ? {} : { handshakeTimeout: this.options.handshakeTimeout }),
      },
      {
        open: (info) => {
          this.emit('connection', { ...info, at: this.timers.now() });
          this.dispatch({ type: 'open', at: this.timers.now(), id: info.id, selfId: info.selfId });
        },
        signal: (id, signal) => {
          this.dispatch({ type: 'signal', at: this.timers.now(), id, signal });
          if (signal.kind === 'heartbeat') this.emit('heartbeat', { id, intervalMs: signal.intervalMs, online: signal.online, at: this.timers.now() });
        },
        garbage: (id, reason) => {
          this.garbageCount++;
          if (this.garbageReported.has(id)) return;
          this.garbageReported.add(id);
          this.emit('garbage', { id, reason, at: this.timers.now() });
        },
        close: (id, code, reason) => {
          this.garbageReported.delete(id);
          this.emit('disconnection', { id, code, reason, at: this.timers.now() });
          this.dispatch({ type: 'close', at: this.timers.now(), id, code, reason });
        },
        refused: (status, reason, remote) => {
          this.refusedCount++;
          this.emit('refused', { status, reason, remote, at: this.timers.now() });
        },
      },
    );
    try {
      const bound = await server.listen();
      if (!this.running) {
        await server.close();
        return;
      }
      this.server = server;
      this.emit('listening', { address: formatListen(bound), at: this.timers.now() });
    } catch (error) {
      const raw = (error as { code?: unknown } | null)?.code;
      const code = typeof raw === 'string' ? raw : undefined;
      const reason = code === 'EADDRINUSE' ? 'the address is in use by another process' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
      this.emit('listen-error', { address: formatListen(this.address), code, reason, retryInMs: this.listenRetryMs, at: this.timers.now() });
      if (this.running) this.retryTimer = this.timers.setTimeout(() => void this.tryListen(), this.listenRetryMs);
    }
  }

  private dispatch(event: ReadinessEvent): void {
    if (!this.running) return;
    const { state, effects } = reduce(this.state, event);
    this.state = state;
    this.arm();
    for (const effect of effects) this.apply(effect, event.at);
  }

  private apply(effect: ReadinessEffect, at: number): void {
    const { type, ...fields } = effect;
    // Each branch keeps the payload's type tied to its event name.
    switch (type) {
      case 'ready':
        return void this.emit('ready', { ...(fields as EffectOf<'ready'>), at });
      case 'down':
        return void this.emit('down', { ...(fields as EffectOf<'down'>), at });
      case 'blip':
        return void this.emit('blip', { ...(fields as EffectOf<'blip'>), at });
      case 'account-offline':
        return void this.emit('account-offline', { ...(fields as EffectOf<'account-offline'>), at });
      case 'account-online':
        return void this.emit('account-online', { ...(fields as EffectOf<'account-online'>), at });
    }
  }

  /**
   * One timer at the deadline. Heartbeats only move the deadline later, so the timer is left alone
   * and, when it fires early, re-armed for the new deadline: at most one timer per interval, however
   * fast heartbeats come.
   */
  private arm(): void {
    const deadline = this.state.deadline;
    if (deadline === undefined || !this.running) {
      if (this.timer) this.timers.clearTimeout(this.timer.handle);
      this.timer = undefined;
      return;
    }
    if (this.timer && this.timer.at <= deadline) return;
    if (this.timer) this.timers.clearTimeout(this.timer.handle);
    const delay = Math.max(0, deadline - this.timers.now());
    const handle = this.timers.setTimeout(() => {
      this.timer = undefined;
      this.dispatch({ type: 'tick', at: this.timers.now() });
      this.arm();
    }, delay);
    this.timer = { handle, at: deadline };
  }
}
