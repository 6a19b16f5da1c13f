// NapCat's links to the watchdog through the one backend reducer (src/backend/readiness.ts), on
// exact virtual time: every event carries its own `at`. The reducer's facts and log lines are read
// back as the account-level effects they stand for (ready, down, blip, account-offline/online).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { POLICIES } from '../../../src/backend/policy.js';
import type { Peer } from '../../../src/backend/peer-links.js';
import {
  initialReadiness as initialBackend,
  linkedPeers,
  peersOk,
  reduce,
  type ReadinessEffect,
  type ReadinessEvent,
  type ReadinessSettings,
  type ReadinessState,
} from '../../../src/backend/readiness.js';

const SELF = 10001;

const REVERSE = (assumedIntervalMs = 30_000): ReadinessSettings => ({
  peers: { probe: 'onebot-reverse', assumedIntervalMs },
  policy: POLICIES['onebot-reverse'],
  failureThreshold: 3,
  waitingLogEvery: 2000,
});
const initialReadiness = (at = 0, assumedIntervalMs = 30_000): ReadinessState => initialBackend(REVERSE(assumedIntervalMs), at);
const isReady = (state: ReadinessState, now: number): boolean => peersOk(state, now);
/** The one account's link (these tests have one NapCat account). */
const peer = (state: ReadinessState): Peer => {
  const peers = Object.values(state.peers);
  assert.equal(peers.length, 1, JSON.stringify(Object.keys(state.peers)));
  return peers[0]!;
};

type Effect = { type: string; at: number; cause?: unknown; reason?: unknown; [key: string]: unknown };

/** The account-level effect a log line of the reducer stands for (undefined fields left out). */
function effectOf(effect: ReadinessEffect, at: number): Effect | undefined {
  if (effect.type !== 'log') return undefined;
  const f = effect.fields as Record<string, unknown>;
  const pick = (type: string, keys: string[], rename: Record<string, string> = {}): Effect => {
    const out: Effect = { type, at };
    for (const key of keys) if (f[key] !== undefined) out[rename[key] ?? key] = f[key];
    return out;
  };
  switch (effect.event) {
    case 'backend.ready':
      return pick('ready', ['selfId', 'intervalMs', 'downMs']);
    case 'backend.down':
      return pick('down', ['cause', 'lastReason', 'closeCode', 'silentMs'], { lastReason: 'reason' });
    case 'backend.blip':
      return pick('blip', ['closeCode', 'downMs']);
    case 'backend.account-offline':
      return pick('account-offline', ['type', 'tag', 'message', 'selfId'], { type: 'cause' });
    case 'backend.account-online':
      return pick('account-online', ['offlineMs', 'selfId']);
    default:
      return undefined;
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/** Feeds events in order (each input state frozen); returns the final state and every effect with the time it came at. */
function run(events: ReadinessEvent[], start = initialReadiness(0)): { state: ReadinessState; effects: Effect[]; raw: ReadinessEffect[] } {
  let state = start;
  const effects: Effect[] = [];
  const raw: ReadinessEffect[] = [];
  for (const event of events) {
    const out = reduce(deepFreeze(state), event);
    state = out.state;
    raw.push(...out.effects);
    for (const effect of out.effects) {
      const seen = effectOf(effect, event.at);
      if (seen) effects.push(seen);
    }
  }
  return { state, effects, raw };
}

const open = (at: number, id = 1, selfId: number | undefined = SELF): ReadinessEvent => ({ type: 'peer-open', at, id, selfId });
const close = (at: number, id = 1, code = 1006): ReadinessEvent => ({ type: 'peer-close', at, id, code, reason: '' });
const tick = (at: number): ReadinessEvent => ({ type: 'tick', at });
const lifecycle = (at: number, id = 1, selfId = SELF): ReadinessEvent => ({ type: 'peer-signal', at, id, signal: { kind: 'lifecycle', subType: 'connect', selfId } });
/** A heartbeat; null leaves `interval` or `status.online` out. */
const beat = (at: number, intervalMs: number | null = 5000, online: boolean | null = true, id = 1, selfId = SELF): ReadinessEvent => ({
  type: 'peer-signal',
  at,
  id,
  signal: { kind: 'heartbeat', intervalMs: intervalMs ?? undefined, online: online ?? undefined, selfId },
});
const kick = (at: number, id = 1): ReadinessEvent => ({ type: 'peer-signal', at, id, signal: { kind: 'bot-offline', tag: '被挤下线', message: 'elsewhere', selfId: SELF } });
const types = (effects: { type: string }[]) => effects.map((e) => e.type);

test('nothing connects: down exactly at twice the assumed interval after the start, not before', () => {
  const start = initialReadiness(1000, 30_000);
  assert.equal(peer(start).deadline, 61_000);
  assert.deepEqual(run([tick(60_999)], start).effects, []);
  const { state, effects } = run([tick(61_000)], start);
  assert.equal(effects.length, 1);
  assert.equal(effects[0]?.type, 'down');
  assert.equal((effects[0] as { cause: string }).cause, 'not-connected');
  assert.match((effects[0] as { reason: string }).reason, /has not connected for 60000ms/);
  assert.equal(peer(state).deadline, undefined, 'once down, no timer until a heartbeat');
  assert.deepEqual(run([tick(200_000)], state).effects, [], 'down is reported once');
});

test('ready on the first heartbeat of an open link; a lifecycle event alone is not ready', () => {
  const { state, effects } = run([open(100), lifecycle(100)]);
  assert.deepEqual(effects, []);
  assert.equal(isReady(state, 100), false);
  const after = run([beat(2000, 5000)], state);
  assert.deepEqual(after.effects, [{ type: 'ready', selfId: SELF, intervalMs: 5000, at: 2000 }]);
  assert.equal(isReady(after.state, 2000), true);
  assert.equal(peer(after.state).deadline, 12_000);
  assert.equal(peer(after.state).account, 'online');
});

test('heartbeats stop: down exactly at the last heartbeat + 2 × the announced interval', () => {
  const { state, effects } = run([open(0), beat(0), beat(5000), beat(10_000), tick(19_999)]);
  assert.deepEqual(types(effects), ['ready']);
  assert.equal(isReady(state, 19_999), true);
  const down = run([tick(20_000)], state);
  assert.deepEqual(down.effects, [
    {
      type: 'down',
      cause: 'heartbeat-timeout',
      reason: 'no heartbeat for 10000ms (NapCat announced one every 5000ms)',
      silentMs: 10_000,
      at: 20_000,
    },
  ]);
  assert.equal(isReady(down.state, 20_000), false);
  // The link is still open; the next heartbeat brings it back, with the time it was down.
  const back = run([beat(45_000)], down.state);
  assert.deepEqual(back.effects, [{ type: 'ready', selfId: SELF, intervalMs: 5000, downMs: 25_000, at: 45_000 }]);
});

test('an absurd interval (1 ms) counts as 1 s: the deadline is 2 s away, whatever is announced', () => {
  const { state } = run([open(0), beat(0, 1)]);
  assert.equal(peer(state).intervalMs, 1000);
  assert.equal(peer(state).announcedMs, 1);
  assert.equal(peer(state).deadline, 2000);
  const { effects } = run([tick(1999), tick(2000)], state);
  assert.equal(effects.length, 1);
  assert.match((effects[0] as { reason: string }).reason, /no heartbeat for 2000ms \(NapCat announced one every 1ms\)/);
});

test('intervals from 1 s up are honoured as announced; a heartbeat without interval keeps the last one', () => {
  let { state } = run([open(0), beat(0, 1000)]);
  assert.equal(peer(state).deadline, 2000);
  ({ state } = run([beat(1000, 60_000)], state));
  assert.equal(peer(state).deadline, 121_000);
  ({ state } = run([beat(2000, null)], state));
  assert.equal(peer(state).deadline, 122_000);
  ({ state } = run([beat(3000, 10 ** 12)], state));
  assert.equal(peer(state).intervalMs, 300_000, 'capped at 5 minutes: what NapCat can really be set to send');
});

test('the link closes and comes back before the deadline: a blip, never down', () => {
  const { state, effects } = run([open(0), beat(0), close(3000), open(8000, 2), lifecycle(8000, 2), beat(9000, 5000, true, 2), tick(10_000)]);
  assert.deepEqual(types(effects), ['ready', 'blip']);
  assert.deepEqual(effects[1], { type: 'blip', closeCode: 1006, downMs: 6000, at: 9000 });
  assert.equal(isReady(state, 10_000), true);
});

test('between the close and the reconnect the link is not ready, but not yet down', () => {
  const { state } = run([open(0), beat(0), close(3000)]);
  assert.equal(isReady(state, 3000), false);
  assert.equal(peer(state).phase, 'up');
  assert.match(peer(state).lastReason, /closed \(code 1006\); waiting for it to reconnect/);
});

test('the link closes and NapCat does not come back: down at the heartbeat deadline, with the close code', () => {
  const { effects } = run([open(0), beat(0), close(3000, 1, 1001), tick(9999), tick(10_000)]);
  assert.deepEqual(types(effects), ['ready', 'down']);
  assert.deepEqual(effects[1], {
    type: 'down',
    cause: 'closed',
    reason: "NapCat's link closed (code 1001) and it has not come back for 7000ms",
    closeCode: 1001,
    silentMs: 10_000,
    at: 10_000,
  });
});

test('a reconnect gets twice the interval for its first heartbeat, once per silence', () => {
  // Last heartbeat at 0 (deadline 10 000); reconnect at 9000: deadline 19 000.
  const first = run([open(0), beat(0), close(1000), open(9000, 2)]);
  assert.equal(peer(first.state).deadline, 19_000);
  // Another close and reconnect without a heartbeat does not push it again.
  const second = run([close(9500, 2), open(18_000, 3), tick(19_000)], first.state);
  assert.deepEqual(types(second.effects), ['down']);
  // A heartbeat resets the allowance.
  const third = run([open(0), beat(0), close(1000), open(9000, 2), beat(12_000, 5000, true, 2), close(13_000, 2), open(30_000, 3)]);
  assert.equal(peer(third.state).deadline, 40_000);
});

test('connected but no heartbeat ever: down, saying that the heartbeat may be off', () => {
  const { effects } = run([open(50_000), lifecycle(50_000), tick(60_000), tick(109_999), tick(110_000)], initialReadiness(0, 30_000));
  assert.deepEqual(types(effects), ['down']);
  assert.equal(effects[0]?.at, 110_000);
  assert.match((effects[0] as { reason: string }).reason, /connected but sent no heartbeat for 110000ms \(is its heartbeat interval set\?\)/);
});

test('status.online=false: account offline (the link stays ready); online again on an online heartbeat', () => {
  const { state, effects } = run([open(0), beat(0), beat(5000, 5000, false), beat(10_000, 5000, false), beat(15_000, 5000, true)]);
  assert.deepEqual(effects, [
    { type: 'ready', selfId: SELF, intervalMs: 5000, at: 0 },
    { type: 'account-offline', cause: 'heartbeat', selfId: SELF, at: 5000 },
    { type: 'account-online', offlineMs: 10_000, selfId: SELF, at: 15_000 },
  ]);
  assert.equal(isReady(state, 15_000), true);
  assert.equal(peer(state).account, 'online');
});

test('a first heartbeat that says offline: ready and account-offline together', () => {
  const { state, effects } = run([open(0), beat(0, 5000, false)]);
  assert.deepEqual(types(effects), ['ready', 'account-offline']);
  assert.equal(peer(state).account, 'offline');
});

test('bot_offline is final until a new lifecycle event: online heartbeats on the same link do not clear it', () => {
  const kicked = run([open(0), beat(0), kick(1000), beat(5000, 5000, true), beat(10_000, 5000, true)]);
  assert.deepEqual(types(kicked.effects), ['ready', 'account-offline']);
  assert.deepEqual(kicked.effects[1], { type: 'account-offline', cause: 'bot_offline', tag: '被挤下线', message: 'elsewhere', selfId: SELF, at: 1000 });
  assert.equal(peer(kicked.state).account, 'offline');
  // NapCat restarts (a relogin): a new link, its lifecycle event, then an online heartbeat.
  const relogin = run([close(11_000), tick(20_000), open(25_000, 2), lifecycle(25_000, 2), beat(26_000, 5000, true, 2)], kicked.state);
  assert.deepEqual(types(relogin.effects), ['down', 'ready', 'account-online']);
  assert.deepEqual(relogin.effects[2], { type: 'account-online', offlineMs: 25_000, selfId: SELF, at: 26_000 });
});

test('a kick after heartbeats already said offline makes it final, without a second event', () => {
  const { state, effects } = run([open(0), beat(0, 5000, false), kick(1000), beat(5000, 5000, true)]);
  assert.deepEqual(types(effects), ['ready', 'account-offline']);
  assert.equal(peer(state).account, 'offline');
  assert.equal(peer(state).offline?.sticky, true);
});

test('heartbeats without status.online say nothing about the account', () => {
  const { state, effects } = run([open(0), beat(0, 5000, null)]);
  assert.deepEqual(types(effects), ['ready']);
  assert.equal(peer(state).account, 'unknown');
});

test('reduce never changes the state it is given', () => {
  let state = deepFreeze(initialReadiness(0));
  for (const event of [open(0), lifecycle(0), beat(0), kick(100), close(200), open(300, 2), beat(400, 1, false, 2), tick(10_000)]) {
    const before = JSON.stringify(state);
    const out = reduce(state, event);
    assert.equal(JSON.stringify(state), before);
    state = deepFreeze(out.state);
  }
});

test('a close of a connection it never saw changes nothing', () => {
  const { state } = run([open(0), beat(0)]);
  const out = reduce(state, close(10, 99));
  assert.deepEqual(out.state.peers, state.peers);
  assert.deepEqual(out.effects, []);
});

test('a closed link is down whatever interval was announced: 1e12 then a close is down 60 s later, not in days', () => {
  const { state, effects } = run([open(0), beat(0, 10 ** 12), close(1000), tick(60_999), tick(61_000)]);
  assert.deepEqual(types(effects), ['ready', 'down']);
  assert.equal(effects[1]?.at, 61_000);
  assert.equal(effects[1]?.['cause'], 'closed');
  assert.equal(isReady(state, 61_000), false);
  // The health report says so: /healthz is not left healthy.
  const reports = run([open(0), beat(0, 10 ** 12), close(1000), tick(61_000)]).raw.filter((e) => e.type === 'report');
  assert.deepEqual(reports.map((e) => (e.type === 'report' ? e.result.verdict : '')), ['healthy', 'unhealthy']);
});

test('an open link that announced 1e12 is down after twice 5 minutes without a heartbeat, not a day', () => {
  const { effects } = run([open(0), beat(0, 10 ** 12), tick(599_999), tick(600_000)]);
  assert.deepEqual(types(effects), ['ready', 'down']);
  assert.equal(effects[1]?.at, 600_000);
});

test('per account (self_id): two NapCat accounts each have their own link, deadline and account state', () => {
  const OTHER = 20002;
  const both = run([open(0, 1), beat(0, 5000, true, 1), open(100, 2, OTHER), beat(100, 5000, true, 2, OTHER)]);
  assert.deepEqual(Object.keys(both.state.peers).sort(), [String(SELF), String(OTHER)]);
  assert.deepEqual(types(both.effects), ['ready', 'ready']);
  assert.deepEqual(both.effects.map((e) => e['selfId']), [SELF, OTHER]);
  assert.equal(linkedPeers(both.state, 200).length, 2);
  // The second account's NapCat stops beating; the first keeps going: only the second is down.
  const later = run([beat(5000, 5000, true, 1), beat(10_000, 5000, true, 1), tick(10_100)], both.state);
  assert.deepEqual(later.effects.map((e) => [e.type, e['selfId'] ?? e['cause']]), [['down', 'heartbeat-timeout']]);
  assert.deepEqual(linkedPeers(later.state, 10_100).map((p) => p.selfId), [SELF]);
  assert.equal(isReady(later.state, 10_100), false, 'the backend is ready when every account is linked');
  // A kick of the first account is its own; the second's heartbeat coming back does not clear it.
  const kicked = run([kick(11_000, 1), beat(12_000, 5000, true, 2, OTHER)], later.state);
  assert.deepEqual(types(kicked.effects), ['account-offline', 'ready']);
  assert.deepEqual(Object.keys(kicked.state.accountOffline), [String(SELF)]);
});

test('linked facts: an account is linked from its first heartbeat on an open link until its link closes or goes silent', () => {
  const linked = (raw: ReadinessEffect[]) => raw.flatMap((e) => (e.type === 'fact' && e.fact.type === 'linked' ? [`${e.fact.key}:${e.fact.linked}`] : []));
  assert.deepEqual(linked(run([open(0), lifecycle(0), beat(1000), close(2000), open(3000, 2), beat(4000, 5000, true, 2), tick(14_000)]).raw), [
    `${SELF}:true`,
    `${SELF}:false`,
    `${SELF}:true`,
    `${SELF}:false`,
  ]);
});

test('a link opened without X-Self-ID is named by its first frame with self_id', () => {
  const { state, effects } = run([open(0, 1, undefined), lifecycle(10), beat(20)]);
  assert.deepEqual(Object.keys(state.peers), [String(SELF)]);
  assert.deepEqual(effects[0], { type: 'ready', selfId: SELF, intervalMs: 5000, at: 20 });
});
