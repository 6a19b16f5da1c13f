import type { OneBotSignal } from './signals.js';

/**
 * Readiness of NapCat as one of its reverse-WebSocket clients sees it: a pure reducer
 * `(state, event) → { state, effects }`. Time comes in with every event (`at`, monotonic ms); the
 * driver arms one timer at `state.deadline` and feeds a `tick` when it fires.
 *
 * - The link is **up** from a heartbeat on an open connection while heartbeats keep coming: it is
 *   **down** when none arrived for twice the announced interval (`deadline`), whether the
 *   connection stayed open (a stuck NapCat) or closed and did not come back. Intervals are
 *   honoured from MIN_INTERVAL_MS up; a shorter one (an absurd 1 ms) counts as MIN_INTERVAL_MS,
 *   so nothing can make the deadline storm.
 * - A connection that opens gets twice the interval for its first heartbeat (NapCat's heartbeat
 *   timer runs apart from its links), once per silence: a client that keeps reconnecting without
 *   ever sending a heartbeat cannot postpone `down` for ever.
 * - The **account** is offline on NapCat's `bot_offline` notice or a heartbeat saying
 *   `status.online=false`, and online again on a heartbeat saying `status.online=true`. A kick
 *   notice is final until a new lifecycle event (some NapCat versions kept reporting online after
 *   a kick): an online heartbeat on the same link does not clear it.
 */

/** Heartbeat intervals below this count as this (and so do missing ones before the first). */
export const MIN_INTERVAL_MS = 1000;
/** A timer holds at most 2^31−1 ms; no sane client announces more than a day. */
export const MAX_INTERVAL_MS = 86_400_000;
/** Heartbeats missed in a row that mean the link is down. */
export const HEARTBEAT_MISSES = 2;
/** NapCat's default heartbeat interval: assumed until a client announces its own. */
export const NAPCAT_DEFAULT_INTERVAL_MS = 30_000;

export type LinkPhase = 'starting' | 'up' | 'down';
export type AccountState = 'unknown' | 'online' | 'offline';
export type DownCause = 'not-connected' | 'closed' | 'heartbeat-timeout';

export interface OpenConnection {
  readonly id: number;
  readonly at: number;
  readonly heartbeats: number;
}

export interface ReadinessState {
  readonly phase: LinkPhase;
  readonly phaseSince: number;
  readonly open: readonly OpenConnection[];
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
  readonly account: AccountState;
  readonly accountSince: number;
  readonly offline: { readonly cause: 'bot_offline' | 'heartbeat'; readonly tag?: string; readonly message?: string; readonly sticky: boolean } | undefined;
  readonly selfId: number | undefined;
  readonly lastReason: string;
}

export type ReadinessEvent =
  | { type: 'open'; at: number; id: number; selfId?: number | undefined }
  | { type: 'close'; at: number; id: number; code: number; reason: string }
  | { type: 'signal'; at: number; id: number; signal: Exclude<OneBotSignal, { kind: 'garbage' }> }
  | { type: 'tick'; at: number };

export type ReadinessEffect =
  | { type: 'ready'; selfId: number | undefined; intervalMs: number; downMs?: number }
  | { type: 'down'; cause: DownCause; reason: string; closeCode?: number; silentMs: number }
  | { type: 'blip'; closeCode: number | undefined; downMs: number }
  | { type: 'account-offline'; cause: 'bot_offline' | 'heartbeat'; tag?: string; message?: string; selfId: number | undefined }
  | { type: 'account-online'; offlineMs: number; selfId: number | undefined };

export interface Reduction {
  state: ReadinessState;
  effects: ReadinessEffect[];
}

export function clampInterval(ms: number): number {
  return Math.min(MAX_INTERVAL_MS, Math.max(MIN_INTERVAL_MS, ms));
}

/** The state at start: nothing connected yet; down if nothing connects within twice `assumedIntervalMs`. */
export function initialReadiness(at: number, assumedIntervalMs = NAPCAT_DEFAULT_INTERVAL_MS): ReadinessState {
  const intervalMs = clampInterval(assumedIntervalMs);
  return {
    phase: 'starting',
    phaseSince: at,
    open: [],
    everConnected: false,
    lastHeartbeatAt: undefined,
    intervalMs,
    announcedMs: undefined,
    deadline: at + HEARTBEAT_MISSES * intervalMs,
    extended: false,
    lastClose: undefined,
    droppedAt: undefined,
    account: 'unknown',
    accountSince: at,
    offline: undefined,
    selfId: undefined,
    lastReason: 'waiting for NapCat to connect',
  };
}

/** Up: a heartbeat arrived in time on a connection that is still open. */
export function isReady(state: ReadinessState, now: number): boolean {
  return state.phase === 'up' && state.open.length > 0 && state.deadline !== undefined && now < state.deadline;
}

export function reduce(state: ReadinessState, event: ReadinessEvent): Reduction {
  switch (event.type) {
    case 'open':
      return onOpen(state, event);
    case 'close':
      return onClose(state, event);
    case 'tick':
      return onTick(state, event.at);
    case 'signal':
      switch (event.signal.kind) {
        case 'lifecycle':
          return onLifecycle(state, event.signal);
        case 'heartbeat':
          return onHeartbeat(state, event.at, event.id, event.signal);
        case 'bot-offline':
          return onBotOffline(state, event.at, event.signal);
      }
  }
}

function onOpen(state: ReadinessState, event: Extract<ReadinessEvent, { type: 'open' }>): Reduction {
  const open = [...state.open.filter((c) => c.id !== event.id), { id: event.id, at: event.at, heartbeats: 0 }];
  let { deadline, extended } = state;
  const firstBeat = event.at + HEARTBEAT_MISSES * state.intervalMs;
  if (deadline !== undefined && !extended && firstBeat > deadline) {
    deadline = firstBeat;
    extended = true;
  }
  const lastReason = state.phase === 'up' && state.open.length > 0 ? state.lastReason : 'NapCat connected; waiting for its first heartbeat';
  return {
    state: { ...state, open, everConnected: true, deadline, extended, selfId: event.selfId ?? state.selfId, lastReason },
    effects: [],
  };
}

function onClose(state: ReadinessState, event: Extract<ReadinessEvent, { type: 'close' }>): Reduction {
  if (!state.open.some((c) => c.id === event.id)) return { state, effects: [] };
  const open = state.open.filter((c) => c.id !== event.id);
  const lastClose = { at: event.at, code: event.code, reason: event.reason };
  if (open.length > 0) return { state: { ...state, open, lastClose }, effects: [] };
  const dropped = state.phase === 'up' && state.droppedAt === undefined;
  return {
    state: {
      ...state,
      open,
      lastClose,
      droppedAt: dropped ? event.at : state.droppedAt,
      lastReason: `NapCat's link closed (code ${event.code}); waiting for it to reconnect`,
    },
    effects: [],
  };
}

function onLifecycle(state: ReadinessState, signal: Extract<OneBotSignal, { kind: 'lifecycle' }>): Reduction {
  const selfId = signal.selfId ?? state.selfId;
  // A new session of NapCat: an online heartbeat may clear a kick again.
  const offline = signal.subType === 'connect' && state.offline?.sticky ? { ...state.offline, sticky: false } : state.offline;
  return { state: { ...state, selfId, offline }, effects: [] };
}

function onHeartbeat(state: ReadinessState, at: number, id: number, signal: Extract<OneBotSignal, { kind: 'heartbeat' }>): Reduction {
  const effects: ReadinessEffect[] = [];
  const announcedMs = signal.intervalMs ?? state.announcedMs;
  const intervalMs = announcedMs === undefined ? state.intervalMs : clampInterval(announcedMs);
  const selfId = signal.selfId ?? state.selfId;
  const open = state.open.map((c) => (c.id === id ? { ...c, heartbeats: c.heartbeats + 1 } : c));
  let { phase, phaseSince, droppedAt } = state;
  if (phase !== 'up') {
    effects.push({ type: 'ready', selfId, intervalMs, ...(phase === 'down' ? { downMs: at - phaseSince } : {}) });
    phase = 'up';
    phaseSince = at;
    droppedAt = undefined;
  } else if (droppedAt !== undefined) {
    effects.push({ type: 'blip', closeCode: state.lastClose?.code, downMs: at - droppedAt });
    droppedAt = undefined;
  }

  let { account, accountSince, offline } = state;
  if (signal.online === false) {
    if (account !== 'offline') {
      effects.push({ type: 'account-offline', cause: 'heartbeat', selfId });
      account = 'offline';
      accountSince = at;
      offline = { cause: 'heartbeat', sticky: false };
    }
  } else if (signal.online === true) {
    if (account === 'offline' && !offline?.sticky) {
      effects.push({ type: 'account-online', offlineMs: at - accountSince, selfId });
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
  return {
    state: {
      ...state,
      phase,
      phaseSince,
      open,
      droppedAt,
      lastHeartbeatAt: at,
      intervalMs,
      announcedMs,
      deadline: at + HEARTBEAT_MISSES * intervalMs,
      extended: false,
      account,
      accountSince,
      offline,
      selfId,
      lastReason,
    },
    effects,
  };
}

function onBotOffline(state: ReadinessState, at: number, signal: Extract<OneBotSignal, { kind: 'bot-offline' }>): Reduction {
  const selfId = signal.selfId ?? state.selfId;
  const details = { ...(signal.tag === undefined ? {} : { tag: signal.tag }), ...(signal.message === undefined ? {} : { message: signal.message }) };
  const offline = { cause: 'bot_offline' as const, ...details, sticky: true };
  if (state.account === 'offline') return { state: { ...state, offline, selfId }, effects: [] };
  return {
    state: { ...state, account: 'offline', accountSince: at, offline, selfId, lastReason: `NapCat reported its QQ account offline${signal.message ? `: ${signal.message}` : ''}` },
    effects: [{ type: 'account-offline', cause: 'bot_offline', ...details, selfId }],
  };
}

function onTick(state: ReadinessState, at: number): Reduction {
  if (state.deadline === undefined || at < state.deadline) return { state, effects: [] };
  const silentMs = at - (state.lastHeartbeatAt ?? state.phaseSince);
  let cause: DownCause;
  let reason: string;
  let closeCode: number | undefined;
  if (state.open.length === 0 && !state.everConnected) {
    cause = 'not-connected';
    reason = `NapCat has not connected for ${at - state.phaseSince}ms (is the watchdog a WebSocket client in NapCat's network settings?)`;
  } else if (state.open.length === 0) {
    cause = 'closed';
    closeCode = state.lastClose?.code;
    const gone = state.lastClose ? at - state.lastClose.at : silentMs;
    reason = `NapCat's link closed (code ${closeCode ?? 'none'}) and it has not come back for ${gone}ms`;
  } else if (state.lastHeartbeatAt === undefined) {
    cause = 'heartbeat-timeout';
    reason = `NapCat is connected but sent no heartbeat for ${silentMs}ms (is its heartbeat interval set?)`;
  } else {
    cause = 'heartbeat-timeout';
    reason = `no heartbeat for ${silentMs}ms (NapCat announced one every ${state.announcedMs ?? state.intervalMs}ms)`;
  }
  return {
    state: { ...state, phase: 'down', phaseSince: at, deadline: undefined, extended: false, droppedAt: undefined, lastReason: reason },
    effects: [{ type: 'down', cause, reason, ...(closeCode === undefined ? {} : { closeCode }), silentMs }],
  };
}
