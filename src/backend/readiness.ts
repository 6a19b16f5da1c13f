import type { BackendFact, HealthResult, OutageEvidence } from '../health/types.js';
import type { EventFields, Evidence } from '../log/events.js';
import type { ProbeResult } from '../probes/probe.js';
import { toHealthResult } from '../bot-probes/to-health-result.js';
import { heartbeatIntervalOf } from './heartbeat-deadline.js';
import { newPeer, peerClose, peerLinked, peerOpen, peerSignal, peerTick, UNKNOWN_ACCOUNT, type Peer, type PeerEffect, type PeerSignal } from './peer-links.js';
import type { BackendPolicy } from './policy.js';
import type { LinkLoss, LinkSignal } from './ws-connection.js';

export type { OutageEvidence } from '../health/types.js';

/**
 * The one backend machine, for every kind: is the backend ready, and what follows from each fact
 * its driver reports — as a pure reducer: `reduce(state, event) → { state, effects }`. No clock,
 * no timers, no I/O: every event carries the time it happened (`at`, the clock's now()), and every
 * side effect (a log line, a result or a fact for the health sink, waking the waiting starts, the
 * waiting-log timer) is returned for the adapter (src/backend/backend-watcher.ts) to carry out.
 * Whether a fact restarts the bot is the health sink's rule, from the kind's policy (policy.ts).
 *
 * The drivers differ in who dials: the watchdog polls (`poll`) and keeps one link (`link`, from
 * src/backend/link-keeper.ts) to mirai or a OneBot server; NapCat dials the watchdog (`peers`,
 * per QQ account, src/backend/peer-links.ts).
 *
 * Ready = the poll is healthy (fresh after a link drop) AND the link is up AND no account is
 * known to be offline. A part that is misconfigured (our verifyKey/token is refused) cannot judge
 * anything: it counts as "the server answers" and the other parts decide — see docs/backends.md.
 */

export interface ReadinessSettings {
  /** The poll's probe name: "mirai-http", "onebot-http", "http", "tcp"; none for a backend that dials us. */
  poll?: string;
  /** The persistent WebSocket link the watchdog keeps ("mirai-ws", "onebot-ws"), when probes.websocket is on. */
  link?: { probe: string };
  /** The backend dials the watchdog (NapCat over reverse WebSocket): its links, per account. */
  peers?: { probe: string; assumedIntervalMs: number };
  /** The kind's policy: what an offline account means, whether outages count before the first ready. */
  policy: Pick<BackendPolicy, 'accountOffline' | 'gatesStart'>;
  /** probes.backend.failureThreshold: failed polls in a row that are an outage. */
  failureThreshold: number;
  /** Time between `backend.waiting` lines while a start waits. */
  waitingLogEvery: number;
}

export type PollState = 'unknown' | 'up' | 'down' | 'misconfigured';

/** The dialled link as its keeper last said (src/backend/link-keeper.ts; `stopped` is the keeper's own). */
export type DialledLinkState = 'connecting' | 'up' | 'confirming' | 'renewing' | 'down' | 'misconfigured';

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
        readonly state: DialledLinkState;
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
  /** The links NapCat holds to the watchdog, per account (key: self_id, or "?" before it is known). */
  readonly peers: Readonly<Record<string, Peer>>;
  /** Which account each open peer connection belongs to. */
  readonly connections: Readonly<Record<number, string>>;
  /** Accounts known to be offline (key: self_id, "" for the one account of a dialled backend). */
  readonly accountOffline: Readonly<Record<string, { readonly event: string; readonly at: number }>>;
  readonly ready: boolean;
  readonly everReady: boolean;
  readonly outage: { readonly since: number; readonly evidence: OutageEvidence } | undefined;
  /** A start waits for the backend (since `since`); `logged`: a `backend.waiting` line was written for it. */
  readonly waiting: { readonly since: number; readonly logged: boolean } | undefined;
  readonly stopped: boolean;
}

/** What happened. `at`: the clock's now() when it happened. */
export type ReadinessEvent =
  | { type: 'poll'; at: number; result: ProbeResult }
  | { type: 'link-up'; at: number; result: ProbeResult }
  | { type: 'link-lost'; at: number; loss: LinkLoss }
  /** WE closed the link (a frame it does not take); it is renewed after `delayMs`. Not the backend's doing. */
  | { type: 'link-reset'; at: number; loss: LinkLoss; delayMs: number }
  /** The link closed and the immediate reconnect answered. */
  | { type: 'link-blip'; at: number; loss: LinkLoss; result: ProbeResult }
  | { type: 'link-down'; at: number; loss: LinkLoss; result: ProbeResult | undefined }
  | { type: 'link-failed'; at: number; result: ProbeResult; nextDelayMs: number }
  | { type: 'link-misconfigured'; at: number; result: ProbeResult }
  | { type: 'account'; at: number; signal: Extract<LinkSignal, { kind: 'account' }> }
  | { type: 'heartbeat'; at: number; signal: Extract<LinkSignal, { kind: 'heartbeat' }> }
  /** NapCat opened a link to the watchdog (its handshake's X-Self-ID, if sent). */
  | { type: 'peer-open'; at: number; id: number; selfId?: number | undefined }
  | { type: 'peer-close'; at: number; id: number; code: number; reason: string }
  | { type: 'peer-signal'; at: number; id: number; signal: PeerSignal }
  /** A peer's heartbeat deadline came (the adapter arms one timer at `nextDeadline`). */
  | { type: 'tick'; at: number }
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
  /** A fact for the health sink: its backend rule decides whether the running bot restarts. */
  | { type: 'fact'; fact: BackendFact }
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

/** The state at start (`at`: when the watchdog started; NapCat's first link is awaited from then). */
export function initialReadiness(settings: ReadinessSettings, at = 0): ReadinessState {
  return {
    settings,
    poll: { state: 'unknown', streak: 0, last: undefined, stale: false, staleSince: 0 },
    link: settings.link ? freshLink() : undefined,
    peers: settings.peers ? { [UNKNOWN_ACCOUNT]: newPeer(UNKNOWN_ACCOUNT, at, settings.peers.assumedIntervalMs) } : {},
    connections: {},
    accountOffline: {},
    ready: false,
    everReady: false,
    outage: undefined,
    waiting: undefined,
    stopped: false,
  };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
/** A copy of the state that one transition works on. */
type Draft = Omit<Mutable<ReadinessState>, 'poll' | 'link' | 'waiting' | 'peers' | 'connections' | 'accountOffline'> & {
  poll: Mutable<ReadinessState['poll']>;
  link: Mutable<NonNullable<ReadinessState['link']>> | undefined;
  waiting: Mutable<NonNullable<ReadinessState['waiting']>> | undefined;
  peers: Record<string, Peer>;
  connections: Record<number, string>;
  accountOffline: Record<string, { event: string; at: number }>;
};

/** The pure transition: never mutates `state`. */
export function reduce(state: ReadinessState, event: ReadinessEvent): Transition {
  if (state.stopped && event.type !== 'wait-end') return { state, effects: [] };
  const s: Draft = {
    ...state,
    poll: { ...state.poll },
    link: state.link ? { ...state.link } : undefined,
    waiting: state.waiting ? { ...state.waiting } : undefined,
    peers: { ...state.peers },
    connections: { ...state.connections },
    accountOffline: { ...state.accountOffline },
  };
  const effects: ReadinessEffect[] = [];
  const step = new Step(s, effects, event.at);
  step.apply(event);
  return { state: s, effects };
}

/** Whether the poll lets the backend count as ready. */
export function pollOk(state: ReadinessState): boolean {
  if (state.settings.poll === undefined) return true;
  return (state.poll.state === 'up' || state.poll.state === 'misconfigured') && !state.poll.stale;
}

/** Whether NapCat's links (if it dials us) let the backend count as ready: every account it linked is linked now. */
export function peersOk(state: ReadinessState, now: number): boolean {
  if (!state.settings.peers) return true;
  const peers = Object.values(state.peers);
  return peers.length > 0 && peers.every((peer) => peerLinked(peer, now));
}

/** The accounts linked to the watchdog now (NapCat over reverse WebSocket). */
export function linkedPeers(state: ReadinessState, now: number): Peer[] {
  return Object.values(state.peers).filter((peer) => peerLinked(peer, now));
}

/** When the adapter must feed a `tick`: the earliest heartbeat deadline of NapCat's links. */
export function nextDeadline(state: ReadinessState): number | undefined {
  if (state.stopped) return undefined;
  let next: number | undefined;
  for (const peer of Object.values(state.peers)) if (peer.deadline !== undefined && (next === undefined || peer.deadline < next)) next = peer.deadline;
  return next;
}

/** Whether the link (if any) lets the backend count as ready. Renewing: we closed it, the backend did nothing. */
export function linkOk(state: ReadinessState): boolean {
  return !state.link || state.link.state === 'up' || state.link.state === 'renewing' || state.link.state === 'misconfigured';
}

/** Something has actually said no (not just "first check pending"). */
export function knownNotReady(state: ReadinessState): boolean {
  const link = state.link?.state;
  return state.poll.last?.verdict === 'unhealthy' || link === 'down' || link === 'confirming' || Object.keys(state.accountOffline).length > 0;
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
  if (settings.poll !== undefined && !pollOk(state)) {
    if (poll.stale && poll.last?.verdict !== 'unhealthy') parts.push(`${settings.poll}: checking again after the link dropped`);
    else parts.push(`${settings.poll}: ${poll.last?.reason ?? 'first check pending'}`);
  }
  if (settings.link && !linkOk(state)) parts.push(`${settings.link.probe}: ${linkReason(state) ?? 'down'}`);
  for (const [key, offline] of Object.entries(state.accountOffline)) parts.push(`the QQ account${key ? ` ${key}` : ''} is offline (${offline.event})`);
  for (const peer of Object.values(state.peers)) if (peer.phase !== 'up' || peer.open.length === 0) parts.push(`${settings.peers?.probe}: ${peer.lastReason}`);
  return parts.length > 0 ? parts.join('; ') : undefined;
}

/** One event of each type, by its `type`. */
type EventOf<T extends ReadinessEvent['type']> = Extract<ReadinessEvent, { type: T }>;
type Handlers = { [T in ReadinessEvent['type']]: (event: EventOf<T>) => void };

/** One transition being worked out on a draft of the state: a method per event type. */
class Step implements Handlers {
  constructor(
    private readonly s: Draft,
    private readonly effects: ReadinessEffect[],
    private readonly at: number,
  ) {}

  apply(event: ReadinessEvent): void {
    (this[event.type] as (event: ReadinessEvent) => void).call(this, event);
  }

  account({ signal }: EventOf<'account'>): void {
    if (!signal.online) return this.accountWentOffline(signal.event, signal.details);
    this.accountCameBack(signal.event, signal.details);
  }

  'peer-close'({ id, code, reason }: EventOf<'peer-close'>): void {
    this.onPeer(this.s.connections[id], (peer) => peerClose(peer, this.at, id, code, reason), id);
  }

  tick(): void {
    for (const key of Object.keys(this.s.peers)) this.onPeer(key, (peer) => peerTick(peer, this.at));
  }

  'wait-end'(): void {
    this.s.waiting = undefined;
    this.effects.push({ type: 'cancel-timer', timer: 'waiting' });
  }

  'waiting-tick'(): void {
    if (!this.s.waiting) return;
    this.logWaiting();
    this.effects.push({ type: 'arm-timer', timer: 'waiting', ms: this.s.settings.waitingLogEvery });
  }

  stop(): void {
    this.s.stopped = true;
    this.s.waiting = undefined;
    this.effects.push({ type: 'cancel-timer', timer: 'waiting' }, { type: 'wake' });
  }

  // ---- the HTTP poll ----

  poll({ result }: EventOf<'poll'>): void {
    const poll = this.s.poll;
    poll.last = result;
    this.report(toHealthResult(result));
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

  'link-up'({ result }: EventOf<'link-up'>): void {
    const link = this.link();
    const probe = result.probe;
    link.state = 'up';
    link.last = result;
    this.report(toHealthResult(result));
    this.log('ws.up', { probe, reason: result.reason, latencyMs: result.latencyMs, ...(result.details ?? {}) }, `${probe}: ${result.reason}`);
    // A new session: whatever the old one said about the account is no longer known.
    delete this.s.accountOffline[''];
    link.heartbeatSeen = false;
    if (this.s.poll.stale) this.effects.push({ type: 'check-poll' });
    this.update();
  }

  'link-lost'({ loss }: EventOf<'link-lost'>): void {
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
    this.pollIsStale();
    this.update();
  }

  /**
   * WE closed the link: a frame it does not take. The backend did nothing and the bot's own link
   * is untouched, so nothing is stale and nothing restarts; the link is renewed quietly. Logged
   * the 1st, 2nd, 4th, 8th… time, with the count, so a backend that keeps doing it is seen
   * without a line per link.
   */
  'link-reset'({ loss, delayMs }: EventOf<'link-reset'>): void {
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
  'link-blip'({ loss, result }: EventOf<'link-blip'>): void {
    const link = this.link();
    const probe = this.linkProbe();
    link.last = result;
    if (result.verdict !== 'healthy') link.problem = result.reason;
    const downMs = Math.round(this.at - loss.at);
    const evidence: OutageEvidence = { probe, cause: loss.cause, lastReason: loss.reason, ...closeCodeOf(loss), blip: true, downMs };
    this.log('backend.blip', { ...evidence, reconnect: result.reason }, `${probe}: the link dropped and came back in ${downMs}ms; the bot's own link dropped too`);
    // The sink restarts a bot that was running when the link dropped: its own link died with ours.
    this.fact({ type: 'blip', probe, lostAt: loss.at, evidence });
  }

  'link-down'({ loss, result }: EventOf<'link-down'>): void {
    const link = this.link();
    const probe = this.linkProbe();
    link.state = 'down';
    link.lastLoss = loss;
    if (result) {
      link.last = result;
      link.problem = result.reason;
    }
    const evidence: OutageEvidence = { probe, cause: loss.cause, lastReason: loss.reason, ...closeCodeOf(loss), ...(result ? { reconnect: result.reason } : {}) };
    // The renewal of a link we closed failed: the backend is away after all, and what the poll said is old news.
    if (loss.cause === 'protocol') this.pollIsStale();
    this.report({ probe, verdict: 'unhealthy', reason: loss.reason, latencyMs: 0, evidence: { cause: loss.cause, ...closeCodeOf(loss), ...(result ? { reconnect: result.reason } : {}) } });
    this.outageConfirmed(evidence);
    this.update();
  }

  'link-failed'({ result, nextDelayMs }: EventOf<'link-failed'>): void {
    const { probe, reason } = result;
    this.attemptFailed('down', result);
    this.log('ws.retry', { probe, reason, delayMs: nextDelayMs }, `${probe}: ${reason}; retrying in ${nextDelayMs}ms`);
    this.update();
  }

  'link-misconfigured'({ result }: EventOf<'link-misconfigured'>): void {
    this.attemptFailed('misconfigured', result);
    this.update();
  }

  /** An attempt to open the link did not bring it up. */
  private attemptFailed(state: 'down' | 'misconfigured', result: ProbeResult): void {
    const link = this.link();
    link.state = state;
    link.last = result;
    link.problem = result.reason;
    this.report(toHealthResult(result));
  }

  // ---- what the open link tells: heartbeats and the account ----

  heartbeat({ signal }: EventOf<'heartbeat'>): void {
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
    if (this.s.accountOffline['']) this.accountCameBack('heartbeat', {});
  }

  private accountWentOffline(event: string, details: Evidence): void {
    if (this.s.accountOffline['']) return;
    const probe = this.linkProbe();
    this.s.accountOffline[''] = { event, at: this.at };
    this.log('backend.account-offline', { probe, type: event, ...details }, `the QQ account went offline (${event})`);
    this.fact({ type: 'account-offline', probe, evidence: { probe, type: event, ...details } });
    if (this.s.settings.policy.accountOffline === 'outage') {
      this.outageConfirmed({ probe, lastReason: `the QQ account is offline (${event} status.online=false)` });
    }
    this.update();
  }

  private accountCameBack(event: string, details: Evidence): void {
    const probe = this.linkProbe();
    const wasOffline = this.s.accountOffline[''];
    delete this.s.accountOffline[''];
    const evidence: Evidence & { probe: string; type: string } = { probe, type: event, ...details };
    if (wasOffline) evidence['offlineMs'] = Math.round(this.at - wasOffline.at);
    this.log('backend.account-online', evidence, `the QQ account is online again (${event})`);
    // With policy `relogin` the sink restarts the bot (its session is stale: mirai-api-http #518);
    // told before the gate opens, so a bot that is waiting to start is not restarted twice.
    this.fact({ type: 'account-online', probe, evidence });
    this.update();
  }

  // ---- the links NapCat holds to the watchdog, per account ----

  'peer-open'({ id, selfId }: EventOf<'peer-open'>): void {
    const s = this.s;
    const key = selfId === undefined ? UNKNOWN_ACCOUNT : String(selfId);
    if (!s.peers[key]) {
      const unknown = s.peers[UNKNOWN_ACCOUNT];
      if (key !== UNKNOWN_ACCOUNT && unknown && unknown.open.length === 0) {
        // The account awaited since the start has a name now.
        delete s.peers[UNKNOWN_ACCOUNT];
        s.peers[key] = { ...unknown, key, selfId };
      } else {
        s.peers[key] = newPeer(key, this.at, s.settings.peers?.assumedIntervalMs);
      }
    }
    s.connections[id] = key;
    this.onPeer(key, (peer) => peerOpen(peer, this.at, id));
  }

  'peer-signal'({ id, signal }: EventOf<'peer-signal'>): void {
    const s = this.s;
    let key = s.connections[id];
    if (key === undefined) return;
    if (key === UNKNOWN_ACCOUNT && signal.selfId !== undefined) key = this.nameAccount(id, signal.selfId);
    this.onPeer(key, (peer) => peerSignal(peer, this.at, id, signal));
  }

  /** A link opened without X-Self-ID says its account in a frame: its record moves under that name. */
  private nameAccount(id: number, selfId: number): string {
    const s = this.s;
    const key = String(selfId);
    const unknown = s.peers[UNKNOWN_ACCOUNT];
    if (!unknown) return key;
    if (!s.peers[key]) {
      delete s.peers[UNKNOWN_ACCOUNT];
      s.peers[key] = { ...unknown, key, selfId };
      for (const [connection, owner] of Object.entries(s.connections)) if (owner === UNKNOWN_ACCOUNT) s.connections[Number(connection)] = key;
      return key;
    }
    const rest = { ...unknown, open: unknown.open.filter((c) => c.id !== id) };
    if (rest.open.length === 0) delete s.peers[UNKNOWN_ACCOUNT];
    else s.peers[UNKNOWN_ACCOUNT] = rest;
    s.connections[id] = key;
    this.onPeer(key, (peer) => peerOpen(peer, this.at, id));
    return key;
  }

  /** One account's link through a pure step of peer-links.ts; its effects logged, reported and told the sink. */
  private onPeer(key: string | undefined, step: (peer: Peer) => [Peer, PeerEffect[]], closed?: number): void {
    if (key === undefined) return;
    const before = this.s.peers[key];
    if (!before) return;
    if (closed !== undefined) delete this.s.connections[closed];
    // Linked until a close or the deadline's tick says otherwise (at the deadline's very time too).
    const wasLinked = peerLinked(before, -Infinity);
    const [after, effects] = step(before);
    this.s.peers[key] = after;
    for (const effect of effects) this.onPeerEffect(after, effect);
    const linked = peerLinked(after, -Infinity);
    const probe = this.peersProbe();
    if (linked !== wasLinked) {
      const fact: BackendFact = { type: 'linked', probe, key, linked };
      if (after.selfId !== undefined) fact.account = after.selfId;
      this.fact(fact);
    }
    this.update();
  }

  private onPeerEffect(peer: Peer, effect: PeerEffect): void {
    const probe = this.peersProbe();
    const selfId = peer.selfId;
    const account = selfId === undefined ? {} : { account: selfId };
    switch (effect.type) {
      case 'first-heartbeat':
        this.log('ws.heartbeat', { probe, connection: effect.connection, intervalMs: effect.intervalMs ?? null }, `NapCat sends a heartbeat every ${effect.intervalMs ?? '?'}ms`);
        return;
      case 'ready': {
        const fields: EventFields['backend.ready'] = { probe, selfId, intervalMs: effect.intervalMs };
        if (effect.downMs !== undefined) fields.downMs = effect.downMs;
        this.s.outage = undefined;
        this.log('backend.ready', fields, `NapCat is linked (account ${selfId ?? 'unknown'}, heartbeat every ${effect.intervalMs}ms)`);
        this.fact({ type: 'ready', probe, ...account, ...(effect.downMs === undefined ? {} : { downMs: effect.downMs }) });
        return this.reportPeers(peer);
      }
      case 'down': {
        const evidence: OutageEvidence = { probe, cause: effect.cause, lastReason: effect.reason, closeCode: effect.closeCode, silentMs: effect.silentMs, selfId };
        this.s.outage ??= { since: this.at, evidence };
        this.log('backend.down', evidence, `NapCat is down: ${effect.reason} (the bot is left running: NapCat reconnects to it by itself)`);
        this.fact({ type: 'down', probe, evidence, ...account });
        return this.reportPeers(peer);
      }
      case 'blip': {
        const evidence: OutageEvidence = { probe, closeCode: effect.closeCode, downMs: effect.downMs, lastReason: 'closed', selfId };
        this.log('backend.blip', { ...evidence, reconnect: 'NapCat reconnected' }, `NapCat's link dropped and came back after ${effect.downMs}ms`);
        this.fact({ type: 'blip', probe, lostAt: this.at - effect.downMs, evidence, ...account });
        return;
      }
      case 'account-offline': {
        this.s.accountOffline[peer.key] = { event: effect.cause, at: this.at };
        const evidence = { probe, type: effect.cause, tag: effect.tag, message: effect.message, selfId };
        this.log('backend.account-offline', evidence, `NapCat's QQ account ${selfId ?? ''} is offline${effect.message ? `: ${effect.message}` : ''} (the bot is left running)`);
        this.fact({ type: 'account-offline', probe, evidence, ...account });
        return this.reportPeers(peer);
      }
      case 'account-online': {
        delete this.s.accountOffline[peer.key];
        const evidence = { probe, type: 'heartbeat', offlineMs: effect.offlineMs, selfId };
        this.log('backend.account-online', evidence, `NapCat's QQ account is online again after ${effect.offlineMs}ms`);
        this.fact({ type: 'account-online', probe, evidence, ...account });
        return this.reportPeers(peer);
      }
    }
  }

  /** NapCat's links as one result: healthy while every account is linked and online. */
  private reportPeers(peer: Peer): void {
    const ok = peersOk(this.s, this.at) && Object.keys(this.s.accountOffline).length === 0;
    this.report({ probe: this.peersProbe(), verdict: ok ? 'healthy' : 'unhealthy', reason: peer.lastReason, latencyMs: 0 });
  }

  private updatePeers(): void {
    const s = this.s;
    s.ready = peersOk(s, this.at) && Object.keys(s.accountOffline).length === 0;
    if (s.ready) s.everReady = true;
  }

  private peersProbe(): string {
    return this.s.settings.peers?.probe ?? 'onebot-reverse';
  }

  // ---- readiness, outages and the waiting log ----

  /** A confirmed outage: logged once, and the running bot is stopped until the backend is ready. */
  private outageConfirmed(evidence: OutageEvidence): void {
    // A kind that gates the start says `backend.waiting` until it was ready once.
    if (this.s.outage || (!this.s.everReady && this.s.settings.policy.gatesStart)) return;
    this.s.outage = { since: this.at, evidence };
    this.log('backend.down', { ...evidence }, `the backend is down (${evidence.probe}: ${evidence.lastReason})`);
    this.fact({ type: 'down', probe: evidence.probe, evidence });
  }

  private update(): void {
    const s = this.s;
    if (s.settings.peers) return this.updatePeers();
    const ready = pollOk(s) && linkOk(s) && Object.keys(s.accountOffline).length === 0;
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
      const fields: EventFields['backend.ready'] = { ...details };
      if (downMs !== undefined) fields.downMs = downMs;
      if (degraded.length > 0) fields.degraded = degraded;
      this.log('backend.ready', fields, first ? 'the backend is ready' : `the backend is ready again${downMs === undefined ? '' : ` after ${downMs}ms`}`);
      const fact: BackendFact = { type: 'ready', probe: s.settings.link?.probe ?? s.settings.poll ?? 'backend' };
      if (downMs !== undefined) fact.downMs = downMs;
      this.fact(fact);
      this.effects.push({ type: 'wake' });
    } else if (!ready && s.ready) {
      s.ready = false;
    }
    if (!s.ready && s.waiting && !s.waiting.logged && knownNotReady(s)) this.logWaiting();
  }

  'wait-start'(): void {
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
    this.s.link ??= freshLink();
    return this.s.link;
  }

  private pollIsStale(): void {
    this.s.poll.stale = true;
    this.s.poll.staleSince = this.at;
  }

  private linkProbe(): string {
    return this.s.settings.link?.probe ?? 'backend-ws';
  }

  private report(result: HealthResult): void {
    this.effects.push({ type: 'report', result });
  }

  private fact(fact: BackendFact): void {
    this.effects.push({ type: 'fact', fact });
  }

  private log<E extends BackendLogEvent>(event: E, fields: EventFields[E], message: string): void {
    this.effects.push({ type: 'log', event, fields, message } as LogEffect);
  }
}

function freshLink(): NonNullable<Draft['link']> {
  return { state: 'connecting', last: undefined, lastLoss: undefined, problem: undefined, heartbeatSeen: false, resets: 0 };
}

function closeCodeOf(loss: LinkLoss): { closeCode?: number } {
  return loss.closeCode === undefined ? {} : { closeCode: loss.closeCode };
}
