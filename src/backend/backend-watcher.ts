import type { Clock, TimerHandle } from '../clock/clock.js';
import type { BackendHealthPort } from '../health/types.js';
import type { EventLog } from '../log/events.js';
import type { Probe } from '../probes/probe.js';
import type { BackendGate, Plugin } from '../supervisor/types.js';
import { LinkKeeper, type LinkKeeperOptions } from './link-keeper.js';
import { ProbeLoop } from '../health/probe-loop.js';
import type { NapCatListener } from './onebot-reverse/listener.js';
import type { BackendPolicy } from './policy.js';
import { NAPCAT_DEFAULT_INTERVAL_MS } from './heartbeat-deadline.js';
import {
  initialReadiness,
  nextDeadline,
  notReadyReason,
  peersOk,
  reduce,
  type ReadinessEffect,
  type ReadinessEvent,
  type ReadinessSettings,
  type ReadinessState,
} from './readiness.js';

export interface BackendWatcherOptions {
  /** The kind's policy (policy.ts). */
  policy: BackendPolicy;
  /** The HTTP (or TCP) poll: mirai-http, onebot-http, http, tcp; none when the backend dials us. */
  poll?: Probe & { settled?: () => Promise<void> };
  /** probes.backend */
  interval: number;
  timeout: number;
  failureThreshold: number;
  /** The persistent WebSocket link the watchdog dials (probes.websocket enabled, mirai or OneBot). */
  link?: Pick<LinkKeeperOptions, 'probe' | 'open'> & {
    reconnect?: { initialDelay: number; maxDelay: number };
    misconfiguredRetry?: number;
  };
  /** The backend dials the watchdog: NapCat over reverse WebSocket (built at start: its server loads `ws`). */
  listener?: () => NapCatListener | Promise<NapCatListener>;
  /** Heartbeat interval assumed before NapCat announces one. Default 30 s (NapCat's default). */
  assumedIntervalMs?: number;
  /** Where results and facts go: the health pipeline. */
  port: BackendHealthPort;
  clock: Clock;
  logger: EventLog;
  /** Time between `backend.waiting` lines while a start waits. Default: interval, within 1–5 s. */
  waitingLogEvery?: number;
}

/**
 * The adapter of the one backend machine: it feeds the reducer (src/backend/readiness.ts) what
 * the drivers report — the poll loop, the link keeper, NapCat's listener — and carries out its
 * effects: log lines, results and facts into the health port (which alone decides restarts),
 * the waiting starts, and two timers on the injected clock (the waiting log, NapCat's deadline).
 *
 * As the supervisor's gate (kinds whose policy gates the start) it holds starts until ready; as a
 * plug-in it runs beside the supervisor.
 */
export class BackendWatcher implements Plugin, BackendGate {
  readonly name = 'backend';
  private state: ReadinessState;
  private readonly loop: ProbeLoop | undefined;
  private readonly keeper: LinkKeeper | undefined;
  private readonly waiters = new Set<() => void>();
  private waitingTimer: TimerHandle | undefined;
  private deadlineTimer: { handle: TimerHandle; at: number } | undefined;
  private running = false;
  private listener: NapCatListener | undefined;

  constructor(private readonly options: BackendWatcherOptions) {
    const { interval, link, poll, listener } = options;
    const settings: ReadinessSettings = {
      policy: options.policy,
      failureThreshold: options.failureThreshold,
      waitingLogEvery: options.waitingLogEvery ?? Math.max(1000, Math.min(5000, interval)),
    };
    if (poll) settings.poll = poll.name;
    if (link) settings.link = { probe: link.probe };
    if (listener) settings.peers = { probe: 'onebot-reverse', assumedIntervalMs: options.assumedIntervalMs ?? NAPCAT_DEFAULT_INTERVAL_MS };
    this.state = initialReadiness(settings, options.clock.now());
    if (poll) {
      this.loop = new ProbeLoop({
        probe: poll,
        interval,
        timeout: options.timeout,
        clock: options.clock,
        onResult: (result) => this.dispatch({ type: 'poll', at: this.now(), result }),
      });
    }
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

  /** Whether starts wait for this backend (the kind's policy). */
  get gatesStart(): boolean {
    return this.options.policy.gatesStart;
  }

  /** Starts the drivers: the poll and the link, or NapCat's listener. */
  async start(): Promise<void> {
    this.running = true;
    this.state = { ...this.state, stopped: false };
    this.loop?.start();
    this.keeper?.start();
    if (this.options.listener) {
      const listener = await this.options.listener();
      this.listener = listener;
      this.state = initialReadiness(this.state.settings, this.now());
      this.options.port.report({ probe: 'onebot-reverse', verdict: 'unknown', reason: 'waiting for NapCat to connect', latencyMs: 0 });
      this.armDeadline();
      await listener.start({
        open: (info) => this.dispatch({ type: 'peer-open', at: this.now(), id: info.id, selfId: info.selfId }),
        close: (id, code, reason) => this.dispatch({ type: 'peer-close', at: this.now(), id, code, reason }),
        signal: (id, signal) => this.dispatch({ type: 'peer-signal', at: this.now(), id, signal }),
      });
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    this.loop?.stop();
    this.keeper?.stop();
    this.dispatch({ type: 'stop', at: this.now() });
    this.armDeadline();
    await this.listener?.stop();
    await this.options.poll?.settled?.();
  }

  isReady(): boolean {
    if (this.state.settings.peers) return peersOk(this.state, this.now()) && Object.keys(this.state.accountOffline).length === 0;
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
    keeper.on('blip', (loss, result) => this.dispatch({ type: 'link-blip', at: this.now(), loss, result }));
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
    if (this.options.listener) this.armDeadline();
  }

  /**
   * One timer at NapCat's next heartbeat deadline. Heartbeats only move a deadline later, so the
   * timer is left alone and, when it fires early, re-armed: at most one timer per interval,
   * however fast heartbeats come.
   */
  private armDeadline(): void {
    const { clock } = this.options;
    const deadline = this.running ? nextDeadline(this.state) : undefined;
    if (deadline === undefined) {
      if (this.deadlineTimer) clock.clearTimeout(this.deadlineTimer.handle);
      this.deadlineTimer = undefined;
      return;
    }
    if (this.deadlineTimer && this.deadlineTimer.at <= deadline) return;
    if (this.deadlineTimer) clock.clearTimeout(this.deadlineTimer.handle);
    const handle = clock.setTimeout(
      () => {
        this.deadlineTimer = undefined;
        this.dispatch({ type: 'tick', at: this.now() });
        this.armDeadline();
      },
      Math.max(0, deadline - this.now()),
      { unref: true },
    );
    this.deadlineTimer = { handle, at: deadline };
  }

  private run(effect: ReadinessEffect): void {
    try {
      this.carryOut(effect);
    } catch (err) {
      // A bug behind the port must not stop the backend's watch, nor the bot.
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
      case 'fact':
        port.fact(effect.fact);
        return;
      case 'check-poll':
        void this.loop?.checkNow();
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
