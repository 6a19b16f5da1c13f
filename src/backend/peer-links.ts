import { closedLinkDeadline, heartbeatDeadline, heartbeatIntervalOf, NAPCAT_DEFAULT_INTERVAL_MS } from './heartbeat-deadline.js';
import type { OneBotSignal } from './onebot-reverse/signals.js';

/**
 * The links a backend opens to the watchdog (NapCat over reverse WebSocket), per QQ account
 * (self_id): pure functions of one account's record, used by the one reducer (readiness.ts).
 *
 * - An account's link is **up** from a heartbeat on an open connection while heartbeats keep
 *   coming: it is **down** when none arrived for twice the announced interval (the deadline),
 *   whether the connection stayed open (a stuck NapCat) or closed and did not come back; a closed
 *   link is down at most twice NapCat's default interval after its close, whatever interval was
 *   announced (heartbeat-deadline.ts).
 * - A connection that opens gets twice the interval for its first heartbeat (NapCat's heartbeat
 *   timer runs apart from its links), once per silence: a client that keeps reconnecting without
 *   ever sending a heartbeat cannot postpone `down` for ever.
 * - The **account** is offline on NapCat's `bot_offline` notice or a heartbeat saying
 *   `status.online=false`, and online again on a heartbeat saying `status.online=true`. A kick
 *   notice is final until a new lifecycle event (some NapCat versions kept reporting online after
 *   a kick): an online heartbeat on the same link does not clear it.
 */

export type PeerPhase = 'starting' | 'up' | 'down';
export type PeerAccountState = 'unknown' | 'online' | 'offline';
export type DownCause = 'not-connected' | 'closed' | 'heartbeat-timeout';

/** The key of a link whose account is not known yet (no X-Self-ID, no frame with self_id). */
export const UNKNOWN_ACCOUNT = '?';

export interface PeerConnection {
  readonly id: number;
  readonly at: number;
  readonly heartbeats: number;
}

export interface Peer {
  readonly key: string;
  readonly selfId: number | undefined;
  readonly phase: PeerPhase;
  readonly phaseSince: number;
  readonly open: readonly PeerConnection[];
  readonly everConnected: boolean;
  readonly lastHeartbeatAt: number | undefined;
  /** The interval in use (announced, within bounds; assumed before the first heartbeat). */
  readonly intervalMs: number;
  /** What the client last announced, as sent. */
  readonly announcedMs: number | undefined;
  /** When the link counts as down without another heartbeat; undefined while down. */
  readonly deadline: number | undefined;
  /** A connection opened since the last heartbeat and already pushed the deadline back. */
  readonly extended: boolean;
  readonly lastClose: { readonly at: number; readonly code: number; readonly reason: string } | undefined;
  /** Every connection closed while the link was up (a blip if one comes back in time). */
  readonly droppedAt: number | undefined;
  readonly account: PeerAccountState;
  readonly accountSince: number;
  readonly offline: { readonly cause: 'bot_offline' | 'heartbeat'; readonly tag?: string; readonly message?: string; readonly sticky: boolean } | undefined;
  readonly lastReason: string;
}

/** What one account's link did, for the reducer to log, report and tell the sink. */
export type PeerEffect =
  | { type: 'ready'; intervalMs: number; downMs?: number }
  | { type: 'down'; cause: DownCause; reason: string; closeCode?: number; silentMs: number }
  | { type: 'blip'; closeCode: number | undefined; downMs: number }
  | { type: 'account-offline'; cause: 'bot_offline' | 'heartbeat'; tag?: string; message?: string }
  | { type: 'account-online'; offlineMs: number }
  /** The first heartbeat of a connection (logged once per connection). */
  | { type: 'first-heartbeat'; connection: number; intervalMs: number | undefined };

export type PeerSignal = Exclude<OneBotSignal, { kind: 'garbage' }>;

export function newPeer(key: string, at: number, assumedIntervalMs = NAPCAT_DEFAULT_INTERVAL_MS): Peer {
  const intervalMs = heartbeatIntervalOf(assumedIntervalMs);
  return {
    key,
    selfId: key === UNKNOWN_ACCOUNT ? undefined : Number(key),
    phase: 'starting',
    phaseSince: at,
    open: [],
    everConnected: false,
    lastHeartbeatAt: undefined,
    intervalMs,
    announcedMs: undefined,
    deadline: heartbeatDeadline(at, intervalMs),
    extended: false,
    lastClose: undefined,
    droppedAt: undefined,
    account: 'unknown',
    accountSince: at,
    offline: undefined,
    lastReason: 'waiting for NapCat to connect',
  };
}

/** Linked to the watchdog: a heartbeat arrived in time on a connection that is still open. */
export function peerLinked(peer: Peer, now: number): boolean {
  return peer.phase === 'up' && peer.open.length > 0 && peer.deadline !== undefined && now < peer.deadline;
}

type Out = [Peer, PeerEffect[]];

export function peerOpen(peer: Peer, at: number, id: number): Out {
  const open = [...peer.open.filter((c) => c.id !== id), { id, at, heartbeats: 0 }];
  let { deadline, extended } = peer;
  const firstBeat = heartbeatDeadline(at, peer.intervalMs);
  if (deadline !== undefined && !extended && firstBeat > deadline) {
    deadline = firstBeat;
    extended = true;
  }
  const lastReason = peer.phase === 'up' && peer.open.length > 0 ? peer.lastReason : 'NapCat connected; waiting for its first heartbeat';
  return [{ ...peer, open, everConnected: true, deadline, extended, lastReason }, []];
}

export function peerClose(peer: Peer, at: number, id: number, code: number, reason: string): Out {
  if (!peer.open.some((c) => c.id === id)) return [peer, []];
  const open = peer.open.filter((c) => c.id !== id);
  const lastClose = { at, code, reason };
  if (open.length > 0) return [{ ...peer, open, lastClose }, []];
  const droppedAt = peer.phase === 'up' && peer.droppedAt === undefined ? at : peer.droppedAt;
  // A closed link is down soon, whatever interval was announced (issue 16.6).
  const closedBy = closedLinkDeadline(at, peer.intervalMs);
  const deadline = peer.deadline === undefined ? undefined : Math.min(peer.deadline, closedBy);
  const lastReason = `NapCat's link closed (code ${code}); waiting for it to reconnect`;
  return [{ ...peer, open, lastClose, deadline, droppedAt, lastReason }, []];
}

export function peerSignal(peer: Peer, at: number, id: number, signal: PeerSignal): Out {
  switch (signal.kind) {
    case 'lifecycle': {
      // A new session of NapCat: an online heartbeat may clear a kick again.
      const offline = signal.subType === 'connect' && peer.offline?.sticky ? { ...peer.offline, sticky: false } : peer.offline;
      return [{ ...peer, offline }, []];
    }
    case 'heartbeat':
      return onHeartbeat(peer, at, id, signal);
    case 'bot-offline':
      return onBotOffline(peer, at, signal);
  }
}

function onHeartbeat(peer: Peer, at: number, id: number, signal: Extract<PeerSignal, { kind: 'heartbeat' }>): Out {
  const effects: PeerEffect[] = [];
  const announcedMs = signal.intervalMs ?? peer.announcedMs;
  const intervalMs = announcedMs === undefined ? peer.intervalMs : heartbeatIntervalOf(announcedMs);
  const open = peer.open.map((c) => {
    if (c.id !== id) return c;
    if (c.heartbeats === 0) effects.push({ type: 'first-heartbeat', connection: id, intervalMs: signal.intervalMs });
    return { ...c, heartbeats: c.heartbeats + 1 };
  });
  let { phase, phaseSince, droppedAt } = peer;
  if (phase !== 'up') {
    effects.push({ type: 'ready', intervalMs, ...(phase === 'down' ? { downMs: at - phaseSince } : {}) });
    phase = 'up';
    phaseSince = at;
    droppedAt = undefined;
  } else if (droppedAt !== undefined) {
    effects.push({ type: 'blip', closeCode: peer.lastClose?.code, downMs: at - droppedAt });
    droppedAt = undefined;
  }

  let { account, accountSince, offline } = peer;
  if (signal.online === false) {
    if (account !== 'offline') {
      effects.push({ type: 'account-offline', cause: 'heartbeat' });
      account = 'offline';
      accountSince = at;
      offline = { cause: 'heartbeat', sticky: false };
    }
  } else if (signal.online === true) {
    if (account === 'offline' && !offline?.sticky) {
      effects.push({ type: 'account-online', offlineMs: at - accountSince });
      account = 'online';
      accountSince = at;
      offline = undefined;
    } else if (account === 'unknown') {
      account = 'online';
      accountSince = at;
    }
  }

  const lastReason =
    account === 'offline'
      ? `NapCat is linked (heartbeat every ${intervalMs}ms) but its QQ account is offline`
      : `NapCat is linked, heartbeat every ${intervalMs}ms`;
  const deadline = heartbeatDeadline(at, intervalMs);
  const heard = { lastHeartbeatAt: at, intervalMs, announcedMs, deadline, extended: false };
  return [{ ...peer, ...heard, phase, phaseSince, open, droppedAt, account, accountSince, offline, lastReason }, effects];
}

function onBotOffline(peer: Peer, at: number, signal: Extract<PeerSignal, { kind: 'bot-offline' }>): Out {
  const details: { tag?: string; message?: string } = {};
  if (signal.tag !== undefined) details.tag = signal.tag;
  if (signal.message !== undefined) details.message = signal.message;
  const offline = { cause: 'bot_offline' as const, ...details, sticky: true };
  if (peer.account === 'offline') return [{ ...peer, offline }, []];
  return [
    { ...peer, account: 'offline', accountSince: at, offline, lastReason: `NapCat reported its QQ account offline${signal.message ? `: ${signal.message}` : ''}` },
    [{ type: 'account-offline', cause: 'bot_offline', ...details }],
  ];
}

/** The deadline passed without a heartbeat: down, with why. */
export function peerTick(peer: Peer, at: number): Out {
  if (peer.deadline === undefined || at < peer.deadline) return [peer, []];
  const silentMs = at - (peer.lastHeartbeatAt ?? peer.phaseSince);
  let cause: DownCause;
  let reason: string;
  let closeCode: number | undefined;
  if (peer.open.length === 0 && !peer.everConnected) {
    cause = 'not-connected';
    reason = `NapCat has not connected for ${at - peer.phaseSince}ms (is the watchdog a WebSocket client in NapCat's network settings?)`;
  } else if (peer.open.length === 0) {
    cause = 'closed';
    closeCode = peer.lastClose?.code;
    const gone = peer.lastClose ? at - peer.lastClose.at : silentMs;
    reason = `NapCat's link closed (code ${closeCode ?? 'none'}) and it has not come back for ${gone}ms`;
  } else if (peer.lastHeartbeatAt === undefined) {
    cause = 'heartbeat-timeout';
    reason = `NapCat is connected but sent no heartbeat for ${silentMs}ms (is its heartbeat interval set?)`;
  } else {
    cause = 'heartbeat-timeout';
    reason = `no heartbeat for ${silentMs}ms (NapCat announced one every ${peer.announcedMs ?? peer.intervalMs}ms)`;
  }
  const effect: PeerEffect = { type: 'down', cause, reason, silentMs };
  if (closeCode !== undefined) effect.closeCode = closeCode;
  return [{ ...peer, phase: 'down', phaseSince: at, deadline: undefined, extended: false, droppedAt: undefined, lastReason: reason }, [effect]];
}
