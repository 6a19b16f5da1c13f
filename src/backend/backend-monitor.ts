import { performance } from 'node:perf_hooks';
import type { EventLog } from '../log/events.js';
import type { Probe, ProbeResult } from '../probes/probe.js';
import type { LinkLoss, LinkSignal } from './ws-connection.js';
import type { BackendGate, Monitor, SupervisorHandle } from '../supervisor/types.js';
import { LinkKeeper, type LinkKeeperOptions } from './link-keeper.js';
import { ProbeLoop } from '../monitors/probe-loop.js';

export interface BackendMonitorOptions {
  /** The HTTP (or TCP) poll: mirai-http, onebot-http, http, tcp. */
  poll: Probe & { settled?: () => Promise<void> };
  /** probes.backend */
  interval: number;
  timeout: number;
  failureThreshold: number;
  /** The persistent WebSocket link (probes.websocket enabled, mirai or OneBot). */
  link?: Pick<LinkKeeperOptions, 'probe' | 'open'> & {
    /**
     * What an account going offline means. mirai: not ready, the running bot is left alone and
     * restarted when the account is back (its session is stale then: mirai-api-http #518).
     * OneBot: the backend is down (`status.online=false` = dead).
     */
    accountOffline: 'wait-for-relogin' | 'outage';
    reconnect?: { initialDelay: number; maxDelay: number };
    misconfiguredRetry?: number;
  };
  logger: EventLog;
  /** Time between `backend.waiting` lines while a start waits. Default: interval, within 1–5 s. */
  waitingLogEvery?: number;
}

type PollState = 'unknown' | 'up' | 'down' | 'misconfigured';

/**
 * Evidence of an outage, logged with `backend.down` and `child.stop`. `lastReason`, not `reason`:
 * in `child.stop`, `reason` is the restart reason (`backend-down`).
 */
type Evidence = Record<string, unknown> & { probe: string; lastReason: string };

/**
 * Watches the backend independently of the bot and decides when the bot must go down and when it
 * may come back. Combines the HTTP poll (a ProbeLoop: failureThreshold failures in a row = down)
 * and, when enabled, one persistent WebSocket link (a LinkKeeper: a confirmed drop = down at
 * once, a blip = the bot's link died too).
 *
 * Ready = the poll is healthy (fresh after a link drop) AND the link is up AND the account is not
 * known to be offline. A part that is misconfigured (our verifyKey/token is refused) cannot judge
 * anything: it counts as "the server answers" and the other parts decide — see the README.
 *
 * As the supervisor's gate it holds starts until ready; as a monitor it asks for `backend-down`
 * restarts on confirmed outages and blips, and `account-relogin` restarts (mirai).
 */
export class BackendMonitor implements Monitor, BackendGate {
  readonly name = 'backend';
  private handle: SupervisorHandle | undefined;
  private readonly loop: ProbeLoop;
  private readonly keeper: LinkKeeper | undefined;
  private readonly log: EventLog;
  private readonly waitingLogEvery: number;

  /** `stale`: the link dropped since the last good poll; only a poll started after `staleSince` clears it. */
  private poll: { state: PollState; streak: number; last: ProbeResult | undefined; stale: boolean; staleSince: number } = {
    state: 'unknown',
    streak: 0,
    last: undefined,
    stale: false,
    staleSince: 0,
  };
  private linkFailed = false;
  /** The current link has delivered a heartbeat (OneBot): logged once per link. */
  private heartbeatSeen = false;
  private readonly linkMisconfigured = new Set<string>();
  private accountOffline: { event: string; at: number } | undefined;
  private ready = false;
  private everReady = false;
  private outage: { since: number; evidence: Evidence } | undefined;
  private lastSpawnAt = Number.NEGATIVE_INFINITY;
  private readonly waiters = new Set<() => void>();
  private waitTimer: NodeJS.Timeout | undefined;
  private waitStartedAt = 0;
  private waitLogged = false;
  private stopped = false;

  constructor(private readonly options: BackendMonitorOptions) {
    this.log = options.logger;
    this.waitingLogEvery = options.waitingLogEvery ?? Math.max(1000, Math.min(5000, options.interval));
    this.loop = new ProbeLoop({
      probe: options.poll,
      interval: options.interval,
      timeout: options.timeout,
      failureThreshold: options.failureThreshold,
      logger: options.logger,
      onResult: (result) => this.onPollResult(result),
    });
    if (options.link) {
      const initialDelay = options.link.reconnect?.initialDelay ?? Math.min(250, options.interval);
      this.keeper = new LinkKeeper({
        probe: options.link.probe,
        open: options.link.open,
        handshakeTimeout: options.timeout,
        reconnect: { initialDelay, maxDelay: Math.max(initialDelay, options.link.reconnect?.maxDelay ?? options.interval) },
        misconfiguredRetry: options.link.misconfiguredRetry ?? Math.max(30_000, options.interval),
      });
      this.wireLink(this.keeper);
    }
  }

  start(handle: SupervisorHandle): void {
    this.handle = handle;
    handle.events.on('spawn', () => (this.lastSpawnAt = performance.now()));
    this.loop.start();
    this.keeper?.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.loop.stop();
    this.keeper?.stop();
    this.stopWaitingLog();
    for (const wake of [...this.waiters]) wake();
    await this.options.poll.settled?.();
  }

  isReady(): boolean {
    return this.ready;
  }

  waitUntilReady(signal: AbortSignal): Promise<void> {
    if (this.ready || this.stopped || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.waiters.delete(done);
        signal.removeEventListener('abort', done);
        if (this.waiters.size === 0) this.stopWaitingLog();
        resolve();
      };
      this.waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
      if (this.waiters.size === 1) this.startWaitingLog();
    });
  }

  /** Why the backend is not ready, e.g. "mirai-http: GET /about: connection refused". */
  lastReason(): string | undefined {
    const parts: string[] = [];
    const { poll } = this;
    if (!this.pollOk()) {
      if (poll.stale && poll.last?.verdict !== 'unhealthy') parts.push(`${this.options.poll.name}: checking again after the link dropped`);
      else parts.push(`${this.options.poll.name}: ${poll.last?.reason ?? 'first check pending'}`);
    }
    const keeper = this.keeper;
    if (keeper && !this.linkOk()) {
      parts.push(`${keeper.probe}: ${keeper.reason ?? 'down'}`);
    }
    if (this.accountOffline) parts.push(`the QQ account is offline (${this.accountOffline.event})`);
    return parts.length > 0 ? parts.join('; ') : undefined;
  }

  // ---- the HTTP poll ----

  private onPollResult(result: ProbeResult): void {
    const poll = this.poll;
    poll.last = result;
    this.report(result);
    if (result.verdict === 'healthy' || result.verdict === 'misconfigured') {
      poll.state = result.verdict === 'healthy' ? 'up' : 'misconfigured';
      poll.streak = 0;
      // A check that was already under way when the link dropped says nothing about after the drop.
      if (performance.now() - result.latencyMs + 1 >= poll.staleSince) poll.stale = false; // +1: latencyMs is rounded
    } else {
      poll.streak += 1;
      if (poll.streak >= this.options.failureThreshold && poll.state !== 'down') {
        poll.state = 'down';
        this.outageConfirmed({ probe: result.probe, lastReason: result.reason, failures: poll.streak });
      }
    }
    this.update();
  }

  private pollOk(): boolean {
    return (this.poll.state === 'up' || this.poll.state === 'misconfigured') && !this.poll.stale;
  }

  // ---- the WebSocket link ----

  private wireLink(keeper: LinkKeeper): void {
    const probe = keeper.probe;
    keeper.on('lost', (loss) => {
      this.log.emit('ws.lost',
        { probe, cause: loss.cause, ...(loss.closeCode === undefined ? {} : { closeCode: loss.closeCode }), reason: loss.reason },
        `${probe}: link lost: ${loss.reason}`,
      );
      this.report({ probe, verdict: 'unhealthy', reason: loss.reason, latencyMs: 0 });
      // Whatever the poll said before the drop is old news now.
      this.poll.stale = true;
      this.poll.staleSince = performance.now();
      this.update();
    });
    keeper.on('blip', (loss, result) => this.onBlip(probe, loss, result));
    keeper.on('down', (loss, result) => {
      const evidence: Evidence = { probe, cause: loss.cause, lastReason: loss.reason, ...(loss.closeCode === undefined ? {} : { closeCode: loss.closeCode }) };
      if (result) evidence['reconnect'] = result.reason;
      this.markLinkFailed(probe, loss.reason, result);
      this.outageConfirmed(evidence);
      this.update();
    });
    keeper.on('failed', (result, nextDelayMs) => {
      this.report(result);
      this.log.emit('ws.retry',{ probe, reason: result.reason, delayMs: nextDelayMs }, `${probe}: ${result.reason}; retrying in ${nextDelayMs}ms`);
      this.markLinkFailed(probe, result.reason, undefined);
      this.update();
    });
    keeper.on('misconfigured', (result) => {
      this.report(result);
      if (!this.linkMisconfigured.has(result.reason)) {
        this.linkMisconfigured.add(result.reason);
        this.log.emit('probe.misconfigured',
          { probe, reason: result.reason, ...(result.details ?? {}) },
          `${probe}: ${result.reason} (check the config; not a reason to restart — the HTTP poll alone watches the backend meanwhile)`,
        );
      }
      this.update();
    });
    keeper.on('up', (result) => {
      this.report(result);
      this.linkMisconfigured.clear();
      if (this.linkFailed) {
        this.linkFailed = false;
        this.log.emit('probe.recovered',{ probe, reason: result.reason, latencyMs: result.latencyMs }, `${probe}: healthy again`);
      }
      this.log.emit('ws.up',{ probe, reason: result.reason, latencyMs: result.latencyMs, ...(result.details ?? {}) }, `${probe}: ${result.reason}`);
      // A new session: whatever the old one said about the account is no longer known.
      this.accountOffline = undefined;
      this.heartbeatSeen = false;
      if (this.poll.stale) void this.loop.checkNow();
      this.update();
    });
    keeper.on('signal', (signal) => this.onSignal(probe, signal));
  }

  private markLinkFailed(probe: string, reason: string, result: ProbeResult | undefined): void {
    if (this.linkFailed) return;
    this.linkFailed = true;
    this.log.emit('probe.failed',{ probe, reason, ...(result ? { reconnect: result.reason } : {}) }, `${probe}: ${reason}`);
  }

  /** The link closed and came straight back: the backend blinked, and the bot's own link died with ours. */
  private onBlip(probe: string, loss: LinkLoss, result: ProbeResult): void {
    const downMs = Math.round(performance.now() - loss.at);
    const evidence: Evidence = {
      probe,
      cause: loss.cause,
      lastReason: loss.reason,
      ...(loss.closeCode === undefined ? {} : { closeCode: loss.closeCode }),
      blip: true,
      downMs,
    };
    this.log.emit('backend.blip',
      { ...evidence, reconnect: result.reason },
      `${probe}: the link dropped and came back in ${downMs}ms; the bot's own link dropped too`,
    );
    // Only a bot that was running when the link dropped lost its link.
    if (this.handle?.current() && this.lastSpawnAt < loss.at) this.handle.requestRestart('backend-down', evidence);
  }

  private onSignal(probe: string, signal: LinkSignal): void {
    const mode = this.options.link?.accountOffline;
    if (signal.kind === 'heartbeat' && !this.heartbeatSeen) {
      this.heartbeatSeen = true;
      this.log.emit('ws.heartbeat',
        { probe, intervalMs: signal.intervalMs ?? null },
        `${probe}: heartbeats ${signal.intervalMs ? `every ${signal.intervalMs}ms; none for ${2 * signal.intervalMs}ms = dead` : 'without an interval: not watched'}`,
      );
    }
    const online = signal.online;
    if (online === undefined) return;
    const event = signal.kind === 'account' ? signal.event : 'heartbeat';
    const details = signal.kind === 'account' ? signal.details : {};

    if (!online) {
      if (this.accountOffline) return;
      this.accountOffline = { event, at: performance.now() };
      this.log.emit('backend.account-offline',{ probe, type: event, ...details }, `the QQ account went offline (${event})`);
      if (mode === 'outage') {
        this.outageConfirmed({ probe, lastReason: `the QQ account is offline (${event} status.online=false)` });
      }
      this.update();
      return;
    }

    const wasOffline = this.accountOffline;
    if (signal.kind === 'heartbeat' && !wasOffline) return; // every healthy heartbeat: nothing new
    this.accountOffline = undefined;
    const offlineMs = wasOffline ? Math.round(performance.now() - wasOffline.at) : undefined;
    this.log.emit('backend.account-online',
      { probe, type: event, ...details, ...(offlineMs === undefined ? {} : { offlineMs }) },
      `the QQ account is online again (${event})`,
    );
    if (mode === 'wait-for-relogin' && this.handle?.current()) {
      // mirai-api-http #518: after a relogin the bot's session is stale; it must connect again.
      // Asked before the gate opens, so a bot that is waiting to start is not restarted twice.
      this.handle.requestRestart('account-relogin', { probe, type: event, ...(offlineMs === undefined ? {} : { offlineMs }) });
    }
    this.update();
  }

  private linkOk(): boolean {
    const keeper = this.keeper;
    return !keeper || keeper.state === 'up' || keeper.state === 'misconfigured';
  }

  // ---- readiness and outages ----

  /** A confirmed outage: logged once, and the running bot is stopped until the backend is ready. */
  private outageConfirmed(evidence: Evidence): void {
    if (this.outage || !this.everReady || this.stopped) return;
    this.outage = { since: performance.now(), evidence };
    this.log.emit('backend.down',{ ...evidence }, `the backend is down (${evidence.probe}: ${evidence.lastReason})`);
    if (this.handle?.current()) this.handle.requestRestart('backend-down', evidence);
  }

  private update(): void {
    if (this.stopped) return;
    const ready = this.pollOk() && this.linkOk() && !this.accountOffline;
    if (ready && !this.ready) {
      this.ready = true;
      const first = !this.everReady;
      this.everReady = true;
      const downMs = this.outage ? Math.round(performance.now() - this.outage.since) : undefined;
      this.outage = undefined;
      const degraded = [this.poll.state === 'misconfigured' ? this.options.poll.name : undefined, this.keeper?.state === 'misconfigured' ? this.keeper.probe : undefined].filter(
        (p): p is string => p !== undefined,
      );
      const details = { ...(this.poll.last?.details ?? {}), ...(this.keeper?.last?.verdict === 'healthy' ? (this.keeper.last.details ?? {}) : {}) };
      delete details['url'];
      this.log.emit('backend.ready',
        {
          ...details,
          ...(downMs === undefined ? {} : { downMs }),
          ...(degraded.length > 0 ? { degraded } : {}),
        },
        first ? 'the backend is ready' : `the backend is ready again${downMs === undefined ? '' : ` after ${downMs}ms`}`,
      );
      this.wakeWaiters();
    } else if (!ready && this.ready) {
      this.ready = false;
    }
    if (!this.ready && this.waiters.size > 0 && !this.waitLogged && this.knownNotReady()) this.logWaiting();
  }

  /** Something has actually said no (not just "first check pending"). */
  private knownNotReady(): boolean {
    const keeperState = this.keeper?.state;
    return this.poll.last?.verdict === 'unhealthy' || keeperState === 'down' || keeperState === 'confirming' || this.accountOffline !== undefined;
  }

  private wakeWaiters(): void {
    for (const wake of [...this.waiters]) wake();
  }

  private startWaitingLog(): void {
    this.waitStartedAt = performance.now();
    this.waitLogged = false;
    if (this.knownNotReady()) this.logWaiting();
    this.waitTimer = setInterval(() => this.logWaiting(), this.waitingLogEvery);
  }

  private stopWaitingLog(): void {
    if (this.waitTimer) clearInterval(this.waitTimer);
    this.waitTimer = undefined;
  }

  private logWaiting(): void {
    this.waitLogged = true;
    const reason = this.lastReason() ?? 'checking';
    const waitedMs = Math.round(performance.now() - this.waitStartedAt);
    this.log.emit('backend.waiting',{ reason, waitedMs }, `waiting for the backend: ${reason}`);
  }

  private report(result: ProbeResult): void {
    this.handle?.reportProbe({ probe: result.probe, verdict: result.verdict, reason: result.reason, latencyMs: result.latencyMs, at: Date.now() });
  }
}
