import type { HealthResult } from '../health/types.js';
import type { EventFields, Evidence } from '../log/events.js';
import type { ProbeResult } from '../probes/probe.js';
import { heartbeatIntervalOf } from './heartbeat-interval.js';
import type { LinkLoss, LinkSignal } from './ws-connection.js';

/**
 * Is the backend ready, and what follows from each thing its parts say — as a pure reducer:
 * `reduce(state, event) → { state, effects }`. No clock, no timers, no I/O: every event carries
 * the time it happened (`at`, the clock's now()), and every side effect (a log line, a result for
 * the health pipeline, a restart, waking the waiting starts, the waiting-log timer) is returned
 * for the adapter (src/backend/backend-monitor.ts) to carry out.
 *
 * Ready = the poll is healthy (fresh after a link drop) AND the link is up AND the account is not
 * known to be offline. A part that is misconfigured (our verifyKey/token is refused) cannot judge
 * anything: it counts as "the server answers" and the other parts decide — see the README.
 */

export interface ReadinessSettings {
  /** The poll's probe name: "mirai-http", "onebot-http", "http", "tcp". */
  poll: string;
  /** The persistent WebSocket link, when probes.websocket is on. */
  link?: {
    /** "mirai-ws", "onebot-ws". */
    probe: string;
    /**
     * What an account going offline means. mirai: not ready, the running bot is left alone and
     * restarted when the account is back (its session is stale then: mirai-api-http #518).
     * OneBot: the backend is down (`status.online=false` = dead).
     */
    accountOffline: 'wait-for-relogin' | 'outage';
  };
  /** probes.backend.failureThreshold: failed polls in a row that are an outage. */
  failureThreshold: number;
  /** Time between `backend.waiting` lines while a start waits. */
  waitingLogEvery: number;
}

export type PollState = 'unknown' | 'up' | 'down' | 'misconfigured';

/** The link as its keeper last said (src/backend/link-keeper.ts). */
export type LinkState = 'connecting' | 'up' | 'confirming' | 'renewing' | 'down' | 'misconfigured';

/**
 * Evidence of an outage, logged with `backend.down` and `child.stop`. `lastReason`, not `reason`:
 * in `child.stop`, `reason` is the restart reason (`backend-down`).
 */
export type OutageEvidence = Evidence & { probe: string; lastReason: string };

export interface ReadinessState {
  readonly settings: ReadinessSettings;
  readonly poll: {
    readonly state: PollState;
    /** Unhealthy results in a row. */
    readonly streak: number;
    readonly last: ProbeResult | undefined;
    /** The link dropped since the last good poll; only a poll started after `staleSince` clears it. */
    readonly stale: boolean;
    readonly staleSince: number;
  };
  readonly link:
    | {
        readonly state: LinkState;
        /** The latest attempt's result. */
        readonly last: ProbeResult | undefined;
        /** The loss that ended the latest link. */
        readonly lastLoss: LinkLoss | undefined;
        /** The latest thing that went wrong: a loss or a failed attempt. */
        readonly problem: string | undefined;
        /** The current link has delivered a heartbeat (OneBot): logged once per link. */
        readonly heartbeatSeen: boolean;
        /** Links we closed ourselves (a frame too big or invalid), in this run. */
        readonly resets: number;
      }
    | undefined;
  readonly accountOffline: { readonly event: string; readonly at: number } | undefined;
  readonly ready: boolean;
  readonly everReady: boolean;
  readonly outage: { readonly since: number; readonly evidence: OutageEvidence } | undefined;
  /** A start waits for the backend (since `since`); `logged`: a `backend.waiting` line was written for it. */
  readonly waiting: { readonly since: number; readonly logged: boolean } | undefined;
  readonly stopped: boolean;
}

type AccountSignal = Extract<LinkSignal, { kind: 'account' }>;
type HeartbeatSignal = Extract<LinkSignal, { kind: 'heartbeat' }>;

/** What happened. `at`: the clock's now() when it happened. */
export type ReadinessEvent =
  | { type: 'poll'; at: number; result: ProbeResult }
  | { type: 'link-up'; at: number; result: ProbeResult }
  | { type: 'link-lost'; at: number; loss: LinkLoss }
  /** WE closed the link (a frame it does not take); it is renewed after `delayMs`. Not the backend's doing. */
  | { type: 'link-reset'; at: number; loss: LinkLoss; delayMs: number }
  /** The link closed and the immediate reconnect answered. `botSpawnedAt`: the running bot's spawn time, if one runs. */
  | { type: 'link-blip'; at: number; loss: LinkLoss; result: ProbeResult; botSpawnedAt: number | undefined }
  | { type: 'link-down'; at: number; loss: LinkLoss; result: ProbeResult | undefined }
  | { type: 'link-failed'; at: number; result: ProbeResult; nextDelayMs: number }
  | { type: 'link-misconfigured'; at: number; result: ProbeResult }
  | { type: 'account'; at: number; signal: AccountSignal }
  | { type: 'heartbeat'; at: number; signal: HeartbeatSignal }
  /** A start began to wait (the first waiter). */
  | { type: 'wait-start'; at: number }
  /** No start waits any more. */
  | { type: 'wait-end'; at: number }
  /** The waiting-log timer fired. */
  | { type: 'waiting-tick'; at: number }
  | { type: 'stop'; at: number };

/** The events the backend logs itself (probe.failed/recovered/misconfigured are the health pipeline's). */
export type BackendLogEvent =
  | 'backend.ready'
  | 'backend.down'
  | 'backend.blip'
  | 'backend.waiting'
  | 'backend.account-offline'
  | 'backend.account-online'
  | 'ws.lost'
  | 'ws.reset'
  | 'ws.up'
  | 'ws.retry'
  | 'ws.heartbeat';

export type LogEffect = { [E in BackendLogEvent]: { type: 'log'; event: E; fields: EventFields[E]; message: string } }[BackendLogEvent];

export type ReadinessEffect =
  | LogEffect
  /** A result of a part, for the health pipeline (it logs probe.* transitions, the state file shows it). */
  | { type: 'report'; result: HealthResult }
  /** The running bot must go (the pipeline ignores it when none runs). */
  | { type: 'restart'; reason: 'backend-down' | 'account-relogin'; evidence: Evidence }
  /** Ask the poll for a fresh answer now. */
  | { type: 'check-poll' }
  /** Resolve every waiting start. */
  | { type: 'wake' }
  /** (Re)arm the one waiting-log timer: a `waiting-tick` after `ms`. */
  | { type: 'arm-timer'; timer: 'waiting'; ms: number }
  | { type: 'cancel-timer'; timer: 'waiting' };

export interface Transition {
  state: ReadinessState;
  effects: ReadinessEffect[];
}

export function initialReadiness(settings: ReadinessSettings): ReadinessState {
  return {
    settings,
    poll: { state: 'unknown', streak: 0, last: undefined, stale: false, staleSince: 0 },
    link: settings.link ? { state: 'connecting', last: undefined, lastLoss: undefined, problem: undefined, heartbeatSeen: false, resets: 0 } : undefined,
    accountOffline: undefined,
    ready: false,
    everReady: false,
    outage: undefined,
    waiting: undefined,
    stopped: false,
  };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
/** A copy of the state that one transition works on. */
type Draft = Omit<Mutable<ReadinessState>, 'poll' | 'link' | 'waiting'> & {
  poll: Mutable<ReadinessState['poll']>;
  link: Mutable<NonNullable<ReadinessState['link']>> | undefined;
  waiting: Mutable<NonNullable<ReadinessState['waiting']>> | undefined;
};

/** The pure transition: never mutates `state`. */
export function reduce(state: ReadinessState, event: ReadinessEvent): Transition {
  if (state.stopped && event.type !== 'wait-end') return { state, effects: [] };
  const s: Draft = {
    ...state,
    poll: { ...state.poll },
    link: state.link ? { ...state.link } : undefined,
    waiting: state.waiting ? { ...state.waiting } : undefined,
  };
  const effects: ReadinessEffect[] = [];
  const step = new Step(s, effects, event.at);
  step.apply(event);
  return { state: s, effects };
}

/** Whether the poll lets the backend count as ready. */
export function pollOk(state: ReadinessState): boolean {
  return (state.poll.state === 'up' || state.poll.state === 'misconfigured') && !state.poll.stale;
}

/** Whether the link (if any) lets the backend count as ready. Renewing: we closed it, the backend did nothing. */
export function linkOk(state: ReadinessState): boolean {
  return !state.link || state.link.state === 'up' || state.link.state === 'renewing' || state.link.state === 'misconfigured';
}

/** Something has actually said no (not just "first check pending"). */
export function knownNotReady(state: ReadinessState): boolean {
  const link = state.link?.state;
  return state.poll.last?.verdict === 'unhealthy' || link === 'down' || link === 'confirming' || state.accountOffline !== undefined;
}

/** Why the link is not up (undefined while it is). */
export function linkReason(state: ReadinessState): string | undefined {
  const link = state.link;
  if (!link) return undefined;
  switch (link.state) {
    case 'up':
    case 'renewing':
      return undefined;
    case 'connecting':
      return 'connecting';
    case 'confirming':
      return `reconnecting after: ${link.lastLoss?.reason ?? 'a drop'}`;
    default:
      return link.problem ?? link.state;
  }
}

/** Why the backend is not ready, e.g. "mirai-http: GET /about: connection refused"; undefined when nothing says no. */
export function notReadyReason(state: ReadinessState): string | undefined {
  const parts: string[] = [];
  const { poll, settings } = state;
  if (!pollOk(state)) {
    if (poll.stale && poll.last?.verdict !== 'unhealthy') parts.push(`${settings.poll}: checking again after the link dropped`);
    else parts.push(`${settings.poll}: ${poll.last?.reason ?? 'first check pending'}`);
  }
  if (settings.link && !linkOk(state)) parts.push(`${settings.link.probe}: ${linkReason(state) ?? 'down'}`);
  if (state.accountOffline) parts.push(`the QQ account is offline (${state.accountOffline.event})`);
  return parts.length > 0 ? parts.join('; ') : undefined;
}

/** One transition being worked out on a draft of the state. */
class Step {
  constructor(
    private readonly s: Draft,
    private readonly effects: ReadinessEffect[],
    private readonly at: number,
  ) {}

  apply(event: ReadinessEvent): void {
    switch (event.type) {
      case 'poll':
        return this.onPoll(event.result);
      case 'link-up':
        return this.onLinkUp(event.result);
      case 'link-lost':
        return this.onLinkLost(event.loss);
      case 'link-reset':
        return this.onLinkReset(event.loss, event.delayMs);
      case 'link-blip':
        return this.onBlip(event.loss, event.result, event.botSpawnedAt);
      case 'link-down':
        return this.onLinkDown(event.loss, event.result);
      case 'link-failed':
        return this.onLinkFailed(event.result, event.nextDelayMs);
      case 'link-misconfigured':
        return this.onLinkMisconfigured(event.result);
      case 'account':
        return this.onAccount(event.signal);
      case 'heartbeat':
        return this.onHeartbeat(event.signal);
      case 'wait-start':
        return this.onWaitStart();
      case 'wait-end':
        this.s.waiting = undefined;
        this.effects.push({ type: 'cancel-timer', timer: 'waiting' });
        return;
      case 'waiting-tick':
        if (!this.s.waiting) return;
        this.logWaiting();
        this.effects.push({ type: 'arm-timer', timer: 'waiting', ms: this.s.settings.waitingLogEvery });
        return;
      case 'stop':
        this.s.stopped = true;
        this.s.waiting = undefined;
        this.effects.push({ type: 'cancel-timer', timer: 'waiting' }, { type: 'wake' });
        return;
    }
  }

  // ---- the HTTP poll ----

  private onPoll(result: ProbeResult): void {
    const poll = this.s.poll;
    poll.last = result;
    this.report(toHealth(result));
    if (result.verdict === 'healthy' || result.verdict === 'misconfigured') {
      poll.state = result.verdict === 'healthy' ? 'up' : 'misconfigured';
      poll.streak = 0;
      // A check that was already under way when the link dropped says nothing about after the drop.
      if (this.at - result.latencyMs + 1 >= poll.staleSince) poll.stale = false; // +1: latencyMs is rounded
    } else {
      poll.streak += 1;
      if (poll.streak >= this.s.settings.failureThreshold && poll.state !== 'down') {
        poll.state = 'down';
        this.outageConfirmed({ probe: result.probe, lastReason: result.reason, failures: poll.streak });
      }
    }
    this.update();
  }

  // ---- the WebSocket link ----

  private onLinkUp(result: ProbeResult): void {
    const link = this.link();
    const probe = result.probe;
    link.state = 'up';
    link.last = result;
    this.report(toHealth(result));
    this.log('ws.up', { probe, reason: result.reason, latencyMs: result.latencyMs, ...(result.details ?? {}) }, `${probe}: ${result.reason}`);
    // A new session: whatever the old one said about the account is no longer known.
    this.s.accountOffline = undefined;
    link.heartbeatSeen = false;
    if (this.s.poll.stale) this.effects.push({ type: 'check-poll' });
    this.update();
  }

  private onLinkLost(loss: LinkLoss): void {
    const link = this.link();
    const probe = this.linkProbe();
    link.lastLoss = loss;
    link.problem = loss.reason;
    // A close is confirmed by one immediate reconnect; a missing pong or heartbeat is down at once.
    link.state = loss.cause === 'closed' ? 'confirming' : 'down';
    this.log('ws.lost', { probe, cause: loss.cause, ...closeCodeOf(loss), reason: loss.reason }, `${probe}: link lost: ${loss.reason}`);
    if (link.state === 'confirming') {
      this.report({ probe, verdict: 'unknown', reason: `${loss.reason}; reconnecting to confirm`, latencyMs: 0, evidence: { cause: loss.cause, ...closeCodeOf(loss) } });
    }
    // Whatever the poll said before the drop is old news now.
    this.s.poll.stale = true;
    this.s.poll.staleSince = this.at;
    this.update();
  }

  /**
   * WE closed the link: a frame it does not take. The backend did nothing and the bot's own link
   * is untouched, so nothing is stale and nothing restarts; the link is renewed quietly. Logged
   * the 1st, 2nd, 4th, 8th… time, with the count, so a backend that keeps doing it is seen
   * without a line per link.
   */
  private onLinkReset(loss: LinkLoss, delayMs: number): void {
    const link = this.link();
    const probe = this.linkProbe();
    link.state = 'renewing';
    link.lastLoss = loss;
    link.resets += 1;
    const count = link.resets;
    if ((count & (count - 1)) === 0) {
      this.log(
        'ws.reset',
        { probe, ...closeCodeOf(loss), reason: loss.reason, count, delayMs },
        `${probe}: ${loss.reason}; not a fault of the backend nor of the bot: renewing the link${delayMs > 0 ? ` in ${delayMs}ms` : ''} (${count} so far)`,
      );
    }
    this.update();
  }

  /** The link closed and came straight back: the backend blinked, and the bot's own link died with ours. */
  private onBlip(loss: LinkLoss, result: ProbeResult, botSpawnedAt: number | undefined): void {
    const link = this.link();
    const probe = this.linkProbe();
    link.last = result;
    if (result.verdict !== 'healthy') link.problem = result.reason;
    const downMs = Math.round(this.at - loss.at);
    const evidence: OutageEvidence = { probe, cause: loss.cause, lastReason: loss.reason, ...closeCodeOf(loss), blip: true, downMs };
    this.log('backend.blip', { ...evidence, reconnect: result.reason }, `${probe}: the link dropped and came back in ${downMs}ms; the bot's own link dropped too`);
    // Only a bot that was running when the link dropped lost its link.
    if (botSpawnedAt !== undefined && botSpawnedAt < loss.at) this.effects.push({ type: 'restart', reason: 'backend-down', evidence });
  }

  private onLinkDown(loss: LinkLoss, result: ProbeResult | undefined): void {
    const link = this.link();
    const probe = this.linkProbe();
    link.state = 'down';
    link.lastLoss = loss;
    if (result) {
      link.last = result;
      link.problem = result.reason;
    }
    const evidence: OutageEvidence = { probe, cause: loss.cause, lastReason: loss.reason, ...closeCodeOf(loss), ...(result ? { reconnect: result.reason } : {}) };
    if (loss.cause === 'protocol') {
      // The renewal of a link we closed failed: the backend is away after all, and what the poll said is old news.
      this.s.poll.stale = true;
      this.s.poll.staleSince = this.at;
    }
    this.report({ probe, verdict: 'unhealthy', reason: loss.reason, latencyMs: 0, evidence: { cause: loss.cause, ...closeCodeOf(loss), ...(result ? { reconnect: result.reason } : {}) } });
    this.outageConfirmed(evidence);
    this.update();
  }

  private onLinkFailed(result: ProbeResult, nextDelayMs: number): void {
    const link = this.link();
    const probe = result.probe;
    link.state = 'down';
    link.last = result;
    link.problem = result.reason;
    this.report(toHealth(result));
    this.log('ws.retry', { probe, reason: result.reason, delayMs: nextDelayMs }, `${probe}: ${result.reason}; retrying in ${nextDelayMs}ms`);
    this.update();
  }

  private onLinkMisconfigured(result: ProbeResult): void {
    const link = this.link();
    link.state = 'misconfigured';
    link.last = result;
    link.problem = result.reason;
    this.report(toHealth(result));
    this.update();
  }

  // ---- what the open link tells: heartbeats and the account ----

  private onHeartbeat(signal: HeartbeatSignal): void {
    const link = this.link();
    const probe = this.linkProbe();
    if (!link.heartbeatSeen) {
      link.heartbeatSeen = true;
      const announced = signal.intervalMs;
      const counted = announced ? heartbeatIntervalOf(announced) : undefined;
      const every = counted === undefined ? '' : counted === announced ? `every ${counted}ms` : `every ${announced}ms, counted as ${counted}ms`;
      this.log(
        'ws.heartbeat',
        { probe, intervalMs: announced ?? null, ...(counted !== undefined && counted !== announced ? { countedMs: counted } : {}) },
        `${probe}: heartbeats ${counted ? `${every}; none for ${2 * counted}ms = dead` : 'without an interval: not watched'}`,
      );
    }
    if (signal.online === undefined) return;
    if (!signal.online) return this.accountWentOffline('heartbeat', {});
    // Every healthy heartbeat: nothing new, unless the account was offline.
    if (this.s.accountOffline) this.accountCameBack('heartbeat', {});
  }

  private onAccount(signal: AccountSignal): void {
    if (!signal.online) return this.accountWentOffline(signal.event, signal.details);
    this.accountCameBack(signal.event, signal.details);
  }

  private accountWentOffline(event: string, details: Evidence): void {
    if (this.s.accountOffline) return;
    const probe = this.linkProbe();
    this.s.accountOffline = { event, at: this.at };
    this.log('backend.account-offline', { probe, type: event, ...details }, `the QQ account went offline (${event})`);
    if (this.s.settings.link?.accountOffline === 'outage') {
      this.outageConfirmed({ probe, lastReason: `the QQ account is offline (${event} status.online=false)` });
    }
    this.update();
  }

  private accountCameBack(event: string, details: Evidence): void {
    const probe = this.linkProbe();
    const wasOffline = this.s.accountOffline;
    this.s.accountOffline = undefined;
    const offlineMs = wasOffline ? Math.round(this.at - wasOffline.at) : undefined;
    const since = offlineMs === undefined ? {} : { offlineMs };
    this.log('backend.account-online', { probe, type: event, ...details, ...since }, `the QQ account is online again (${event})`);
    if (this.s.settings.link?.accountOffline === 'wait-for-relogin') {
      // mirai-api-http #518: after a relogin the bot's session is stale; it must connect again.
      // Asked before the gate opens, so a bot that is waiting to start is not restarted twice.
      this.effects.push({ type: 'restart', reason: 'account-relogin', evidence: { probe, type: event, ...since } });
    }
    this.update();
  }

  // ---- readiness, outages and the waiting log ----

  /** A confirmed outage: logged once, and the running bot is stopped until the backend is ready. */
  private outageConfirmed(evidence: OutageEvidence): void {
    if (this.s.outage || !this.s.everReady) return;
    this.s.outage = { since: this.at, evidence };
    this.log('backend.down', { ...evidence }, `the backend is down (${evidence.probe}: ${evidence.lastReason})`);
    this.effects.push({ type: 'restart', reason: 'backend-down', evidence });
  }

  private update(): void {
    const s = this.s;
    const ready = pollOk(s) && linkOk(s) && !s.accountOffline;
    if (ready && !s.ready) {
      s.ready = true;
      const first = !s.everReady;
      s.everReady = true;
      const downMs = s.outage ? Math.round(this.at - s.outage.since) : undefined;
      s.outage = undefined;
      const degraded = [
        s.poll.state === 'misconfigured' ? s.settings.poll : undefined,
        s.link?.state === 'misconfigured' ? s.settings.link?.probe : undefined,
      ].filter((p): p is string => p !== undefined);
      const details: Evidence = { ...(s.poll.last?.details ?? {}), ...(s.link?.last?.verdict === 'healthy' ? (s.link.last.details ?? {}) : {}) };
      delete details['url'];
      this.log(
        'backend.ready',
        { ...details, ...(downMs === undefined ? {} : { downMs }), ...(degraded.length > 0 ? { degraded } : {}) },
        first ? 'the backend is ready' : `the backend is ready again${downMs === undefined ? '' : ` after ${downMs}ms`}`,
      );
      this.effects.push({ type: 'wake' });
    } else if (!ready && s.ready) {
      s.ready = false;
    }
    if (!s.ready && s.waiting && !s.waiting.logged && knownNotReady(s)) this.logWaiting();
  }

  private onWaitStart(): void {
    this.s.waiting = { since: this.at, logged: false };
    if (knownNotReady(this.s)) this.logWaiting();
    this.effects.push({ type: 'arm-timer', timer: 'waiting', ms: this.s.settings.waitingLogEvery });
  }

  private logWaiting(): void {
    const waiting = this.s.waiting;
    if (!waiting) return;
    waiting.logged = true;
    const reason = notReadyReason(this.s) ?? 'checking';
    this.log('backend.waiting', { reason, waitedMs: Math.round(this.at - waiting.since) }, `waiting for the backend: ${reason}`);
  }

  // ---- helpers ----

  private link(): NonNullable<Draft['link']> {
    // Link events come only from a configured link; a stray one gets a fresh record rather than a crash.
    this.s.link ??= { state: 'connecting', last: undefined, lastLoss: undefined, problem: undefined, heartbeatSeen: false, resets: 0 };
    return this.s.link;
  }

  private linkProbe(): string {
    return this.s.settings.link?.probe ?? 'backend-ws';
  }

  private report(result: HealthResult): void {
    this.effects.push({ type: 'report', result });
  }

  private log<E extends BackendLogEvent>(event: E, fields: EventFields[E], message: string): void {
    this.effects.push({ type: 'log', event, fields, message } as LogEffect);
  }
}

function toHealth(result: ProbeResult): HealthResult {
  return {
    probe: result.probe,
    verdict: result.verdict,
    reason: result.reason,
    latencyMs: result.latencyMs,
    ...(result.details ? { evidence: result.details } : {}),
  };
}

function closeCodeOf(loss: LinkLoss): { closeCode?: number } {
  return loss.closeCode === undefined ? {} : { closeCode: loss.closeCode };
}
