import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../clock/clock.js';
import type { ProbeResult } from '../probes/probe.js';
import type { LinkAttempt, LinkLoss, LinkSignal } from './ws-connection.js';

export interface LinkKeeperOptions {
  /** Probe name in results and logs: "mirai-ws", "onebot-ws". */
  probe: string;
  /** One attempt to open the link (handshake + first frame). Must honour the signal; never throws. */
  open: (options: { timeout: number; signal: AbortSignal }) => Promise<LinkAttempt>;
  /** An attempt that takes longer fails. */
  handshakeTimeout: number;
  /** Delays between attempts while the link is down: initialDelay, doubling, capped at maxDelay. */
  reconnect: { initialDelay: number; maxDelay: number };
  /** Delay between attempts while our config is refused (wrong verifyKey/token): keep checking, slowly. */
  misconfiguredRetry: number;
  /** The handshake deadline and the retry delays. */
  clock: Clock;
}

/**
 * - connecting: first attempt in flight
 * - up: the link is open
 * - confirming: the link was closed; the one immediate reconnect that confirms it is in flight
 * - renewing: WE closed the link (a frame it does not take); a quiet reconnect is due or in flight
 * - down: confirmed dead (or never came up); reconnecting with backoff
 * - misconfigured: the backend refused our config; retrying slowly
 */
export type LinkState = 'connecting' | 'up' | 'confirming' | 'renewing' | 'down' | 'misconfigured' | 'stopped';

/** A link that lived this long before we closed it starts the renewal delays over. */
export const RENEW_RESET_MS = 60_000;

export interface LinkKeeperEvents {
  /** The link is open (at start, after a blip, after an outage). */
  up: [result: ProbeResult];
  /** An open link ended (close, error, no pong, no heartbeat). Not yet confirmed for a close. */
  lost: [loss: LinkLoss];
  /**
   * WE closed the link (cause `protocol`: a frame too big or invalid): not the backend's doing, so
   * neither a blip nor an outage. It is renewed after `delayMs` (0 the first time; doubling while
   * it keeps happening); a renewal that fails is `down`, as a confirmed close.
   */
  reset: [loss: LinkLoss, delayMs: number];
  /** The link closed, and the immediate reconnect answered (up, or refused our config): a short blip. */
  blip: [loss: LinkLoss, result: ProbeResult];
  /** Confirmed dead: no pong/heartbeat in time, or a close whose immediate reconnect failed too. */
  down: [loss: LinkLoss, result: ProbeResult | undefined];
  /** An attempt failed (unhealthy); the next one is scheduled. */
  failed: [result: ProbeResult, nextDelayMs: number];
  /** An attempt was refused because of our config; retried after misconfiguredRetry. */
  misconfigured: [result: ProbeResult];
  /** An account event or heartbeat from the open link. */
  signal: [signal: LinkSignal];
}

/**
 * Keeps one persistent WebSocket link to the backend. A close (1006 or any code) or a socket
 * error makes the link dead at once and is confirmed by one immediate reconnect: when that fails
 * too, the link is `down`; when it succeeds, it was a `blip`. A missing pong or heartbeat is dead
 * without a confirmation (the wait already was one). While down it reconnects with backoff.
 * Its timers run on the injected clock.
 */
export class LinkKeeper extends EventEmitter<LinkKeeperEvents> {
  private current: LinkState = 'connecting';
  private connection: LinkAttempt['connection'];
  private inFlight: AbortController | undefined;
  private retryTimer: TimerHandle | undefined;
  private failures = 0;
  /** Links we closed ourselves in a row (each one short-lived), for the renewal delay. */
  private resets = 0;
  /** When the current link came up. */
  private upSince = 0;

  constructor(readonly options: LinkKeeperOptions) {
    super();
  }

  get state(): LinkState {
    return this.current;
  }

  start(): void {
    this.current = 'connecting';
    void this.attempt(undefined);
  }

  stop(): void {
    this.current = 'stopped';
    this.options.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.inFlight?.abort();
    this.connection?.close();
    this.connection = undefined;
  }

  /**
   * One attempt. `loss`: the loss it follows — a close it confirms (`blip` when it works) or, for
   * cause `protocol`, our own close it renews (just `up` when it works); `down` when it fails.
   */
  private async attempt(loss: LinkLoss | undefined): Promise<void> {
    if (this.current === 'stopped') return;
    const controller = new AbortController();
    this.inFlight = controller;
    const { handshakeTimeout, probe, clock } = this.options;
    const timer = clock.setTimeout(() => controller.abort(), handshakeTimeout);
    let attempt: LinkAttempt;
    try {
      attempt = await this.options.open({ timeout: handshakeTimeout, signal: controller.signal });
    } catch (error) {
      attempt = { result: { probe, verdict: 'unhealthy', reason: `probe error: ${(error as Error).message}`, latencyMs: 0 } };
    } finally {
      clock.clearTimeout(timer);
      if (this.inFlight === controller) this.inFlight = undefined;
    }
    // Not narrowed by the check above: stop() may have run during the await.
    if ((this.current as LinkState) === 'stopped') {
      attempt.connection?.close();
      return;
    }
    const { result, connection } = attempt;
    if (connection && result.verdict === 'healthy') {
      this.failures = 0;
      this.connection = connection;
      connection.on('lost', (l) => this.onLost(connection, l));
      connection.on('signal', (s) => this.emit('signal', s));
      this.current = 'up';
      this.upSince = clock.now();
      if (loss && loss.cause !== 'protocol') this.emit('blip', loss, result);
      this.emit('up', result);
      return;
    }
    connection?.close();
    if (result.verdict === 'misconfigured') {
      this.failures = 0;
      this.current = 'misconfigured';
      // The server answered the reconnect: it is up, so the close was a blip (unless we closed it).
      if (loss && loss.cause !== 'protocol') this.emit('blip', loss, result);
      this.emit('misconfigured', result);
      this.schedule(this.options.misconfiguredRetry);
      return;
    }
    this.current = 'down';
    if (loss) this.emit('down', loss, result);
    const delay = this.nextDelay();
    this.emit('failed', result, delay);
    this.schedule(delay);
  }

  private onLost(connection: NonNullable<LinkAttempt['connection']>, loss: LinkLoss): void {
    if (connection !== this.connection || this.current === 'stopped') return;
    this.connection = undefined;
    if (loss.cause === 'protocol') {
      // Our own limit, not the backend: renew the link quietly, at once the first time, then with
      // growing delays while it keeps happening (a backend that sends such a frame on every link).
      if (loss.at - this.upSince >= RENEW_RESET_MS) this.resets = 0;
      const { initialDelay, maxDelay } = this.options.reconnect;
      const delay = this.resets === 0 ? 0 : Math.min(maxDelay, initialDelay * 2 ** (this.resets - 1));
      this.resets = Math.min(this.resets + 1, 30);
      this.current = 'renewing';
      this.emit('reset', loss, delay);
      if (delay === 0) void this.attempt(loss);
      else this.schedule(delay, loss);
      return;
    }
    if (loss.cause === 'closed') {
      this.current = 'confirming';
      this.emit('lost', loss);
      void this.attempt(loss);
      return;
    }
    this.current = 'down';
    this.emit('lost', loss);
    this.emit('down', loss, undefined);
    this.schedule(this.nextDelay());
  }

  private nextDelay(): number {
    const { initialDelay, maxDelay } = this.options.reconnect;
    const delay = Math.min(maxDelay, initialDelay * 2 ** this.failures);
    this.failures = Math.min(this.failures + 1, 30);
    return delay;
  }

  private schedule(delayMs: number, loss?: LinkLoss): void {
    if (this.current === 'stopped') return;
    this.options.clock.clearTimeout(this.retryTimer);
    this.retryTimer = this.options.clock.setTimeout(() => {
      this.retryTimer = undefined;
      void this.attempt(loss);
    }, delayMs);
  }
}
