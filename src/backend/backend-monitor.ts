import type { Clock, TimerHandle } from '../clock/clock.js';
import type { BackendHealthPort } from '../health/types.js';
import type { EventLog } from '../log/events.js';
import type { Probe } from '../probes/probe.js';
import type { BackendGate, Monitor } from '../supervisor/types.js';
import { LinkKeeper, type LinkKeeperOptions } from './link-keeper.js';
import { ProbeLoop } from '../health/probe-loop.js';
import { initialReadiness, notReadyReason, reduce, type ReadinessEffect, type ReadinessEvent, type ReadinessSettings, type ReadinessState } from './readiness.js';

export interface BackendMonitorOptions {
  /** The HTTP (or TCP) poll: mirai-http, onebot-http, http, tcp. */
  poll: Probe & { settled?: () => Promise<void> };
  /** probes.backend */
  interval: number;
  timeout: number;
  failureThreshold: number;
  /** The persistent WebSocket link (probes.websocket enabled, mirai or OneBot). */
  link?: Pick<LinkKeeperOptions, 'probe' | 'open'> & {
    accountOffline: NonNullable<ReadinessSettings['link']>['accountOffline'];
    reconnect?: { initialDelay: number; maxDelay: number };
    misconfiguredRetry?: number;
  };
  /** Where results and restarts go: the health pipeline. */
  port: BackendHealthPort;
  clock: Clock;
  logger: EventLog;
  /** Time between `backend.waiting` lines while a start waits. Default: interval, within 1–5 s. */
  waitingLogEvery?: number;
}

/**
 * Watches the backend independently of the bot and decides when the bot must go down and when it
 * may come back: the poll (failureThreshold failures in a row = down) and, when enabled, one
 * persistent WebSocket link (a confirmed drop = down at once, a blip = the bot's link died too).
 *
 * The decisions are the pure reducer of src/backend/readiness.ts; this adapter feeds it what the
 * poll loop and the link keeper say, and carries out its effects: log lines, results and restarts
 * into the health port, the waiting starts, and the one timer (on the injected clock).
 *
 * As the supervisor's gate it holds starts until ready; as a monitor it runs beside the supervisor.
 */
export class BackendMonitor implements Monitor, BackendGate {
  readonly name = 'backend';
  private state: ReadinessState;
  private readonly loop: ProbeLoop;
  private readonly keeper: LinkKeeper | undefined;
  private readonly waiters = new Set<() => void>();
  private waitingTimer: TimerHandle | undefined;

  constructor(private readonly options: BackendMonitorOptions) {
    const { interval, link } = options;
    this.state = initialReadiness({
      poll: options.poll.name,
      ...(link ? { link: { probe: link.probe, accountOffline: link.accountOffline } } : {}),
      failureThreshold: options.failureThreshold,
      waitingLogEvery: options.waitingLogEvery ?? Math.max(1000, Math.min(5000, interval)),
    });
    this.loop = new ProbeLoop({
      probe: options.poll,
      interval,
      timeout: options.timeout,
      clock: options.clock,
      onResult: (result) => this.dispatch({ type: 'poll', at: this.now(), result }),
    });
    if (link) {
      const initialDelay = link.reconnect?.initialDelay ?? Math.min(250, interval);
      this.keeper = new LinkKeeper({
        probe: link.probe,
        open: link.open,
        handshakeTimeout: options.timeout,
        reconnect: { initialDelay, maxDelay: Math.max(initialDelay, link.reconnect?.maxDelay ?? interval) },
        misconfiguredRetry: link.misconfiguredRetry ?? Math.max(30_000, interval),
        clock: options.clock,
      });
      this.wire(this.keeper);
    }
  }

  /** Starts the poll and the link. (The supervisor's handle is not used: everything goes through the health port.) */
  start(): void {
    this.loop.start();
    this.keeper?.start();
  }

  async stop(): Promise<void> {
    this.loop.stop();
    this.keeper?.stop();
    this.dispatch({ type: 'stop', at: this.now() });
    await this.options.poll.settled?.();
  }

  isReady(): boolean {
    return this.state.ready;
  }

  /** The readiness state, for tests and the status page. */
  get readiness(): ReadinessState {
    return this.state;
  }

  waitUntilReady(signal: AbortSignal): Promise<void> {
    if (this.state.ready || this.state.stopped || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        if (!this.waiters.delete(done)) return;
        signal.removeEventListener('abort', done);
        if (this.waiters.size === 0) this.dispatch({ type: 'wait-end', at: this.now() });
        resolve();
      };
      this.waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
      if (this.waiters.size === 1) this.dispatch({ type: 'wait-start', at: this.now() });
    });
  }

  /** Why the backend is not ready, e.g. "mirai-http: GET /about: connection refused". */
  lastReason(): string | undefined {
    return notReadyReason(this.state);
  }

  private wire(keeper: LinkKeeper): void {
    keeper.on('up', (result) => this.dispatch({ type: 'link-up', at: this.now(), result }));
    keeper.on('lost', (loss) => this.dispatch({ type: 'link-lost', at: this.now(), loss }));
    keeper.on('reset', (loss, delayMs) => this.dispatch({ type: 'link-reset', at: this.now(), loss, delayMs }));
    keeper.on('blip', (loss, result) => this.dispatch({ type: 'link-blip', at: this.now(), loss, result, botSpawnedAt: this.options.port.botSpawnedAt() }));
    keeper.on('down', (loss, result) => this.dispatch({ type: 'link-down', at: this.now(), loss, result }));
    keeper.on('failed', (result, nextDelayMs) => this.dispatch({ type: 'link-failed', at: this.now(), result, nextDelayMs }));
    keeper.on('misconfigured', (result) => this.dispatch({ type: 'link-misconfigured', at: this.now(), result }));
    keeper.on('signal', (signal) =>
      this.dispatch(signal.kind === 'account' ? { type: 'account', at: this.now(), signal } : { type: 'heartbeat', at: this.now(), signal }),
    );
  }

  private now(): number {
    return this.options.clock.now();
  }

  /** One event through the reducer, then its effects, in order. Effects may dispatch again (a woken waiter ends the wait). */
  private dispatch(event: ReadinessEvent): void {
    const { state, effects } = reduce(this.state, event);
    this.state = state;
    for (const effect of effects) this.run(effect);
  }

  private run(effect: ReadinessEffect): void {
    try {
      this.carryOut(effect);
    } catch (err) {
      // A bug behind the port (or a log listener) must not stop the backend's watch, nor the bot.
      this.options.logger.emit('monitor.error', { monitor: this.name, err }, `backend: ${effect.type} failed: ${(err as Error)?.message ?? String(err)}`);
    }
  }

  private carryOut(effect: ReadinessEffect): void {
    const { port, clock, logger } = this.options;
    switch (effect.type) {
      case 'log':
        // The union of events is narrowed by the reducer; the catalogue checks each one's fields.
        logger.emit(effect.event, effect.fields as never, effect.message);
        return;
      case 'report':
        port.report(effect.result);
        return;
      case 'restart':
        port.restart(effect.reason, effect.evidence);
        return;
      case 'check-poll':
        void this.loop.checkNow();
        return;
      case 'wake':
        for (const wake of [...this.waiters]) wake();
        return;
      case 'arm-timer':
        clock.clearTimeout(this.waitingTimer);
        this.waitingTimer = clock.setTimeout(() => {
          this.waitingTimer = undefined;
          this.dispatch({ type: 'waiting-tick', at: this.now() });
        }, effect.ms);
        return;
      case 'cancel-timer':
        clock.clearTimeout(this.waitingTimer);
        this.waitingTimer = undefined;
        return;
    }
  }
}
