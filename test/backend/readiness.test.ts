// The readiness reducer, table-driven: events in, state and effects out. Every input state is
// deep-frozen, so a reducer that mutated its input would throw here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LinkLoss } from '../../src/backend/ws-connection.js';
import {
  initialReadiness,
  notReadyReason,
  reduce,
  type ReadinessEffect,
  type ReadinessEvent,
  type ReadinessSettings,
  type ReadinessState,
} from '../../src/backend/readiness.js';
import { POLICIES } from '../../src/backend/policy.js';
import type { ProbeResult } from '../../src/probes/probe.js';

const MIRAI: ReadinessSettings = { poll: 'mirai-http', link: { probe: 'mirai-ws' }, policy: POLICIES.mirai, failureThreshold: 3, waitingLogEvery: 2000 };
const ONEBOT: ReadinessSettings = { poll: 'onebot-http', link: { probe: 'onebot-ws' }, policy: POLICIES.onebot, failureThreshold: 3, waitingLogEvery: 2000 };
const POLL_ONLY: ReadinessSettings = { poll: 'http', policy: POLICIES.http, failureThreshold: 2, waitingLogEvery: 2000 };

const ok = (probe: string, details?: Record<string, unknown>): ProbeResult => ({ probe, verdict: 'healthy', reason: `${probe} ok`, latencyMs: 5, ...(details ? { details } : {}) });
const bad = (probe: string, reason = 'connection refused', latencyMs = 5): ProbeResult => ({ probe, verdict: 'unhealthy', reason, latencyMs });
const refused = (probe: string, reason = 'wrong key'): ProbeResult => ({ probe, verdict: 'misconfigured', reason, latencyMs: 5 });
const closed = (at: number): LinkLoss => ({ cause: 'closed', closeCode: 1006, reason: 'dropped (1006)', at });
const noPong = (at: number): LinkLoss => ({ cause: 'pong-timeout', reason: 'no pong within 3000ms', at });

// Events, with the time they happen.
const poll = (at: number, result: ProbeResult): ReadinessEvent => ({ type: 'poll', at, result });
const up = (at: number, probe = 'mirai-ws', details?: Record<string, unknown>): ReadinessEvent => ({ type: 'link-up', at, result: ok(probe, details) });

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/** Runs events from the initial state; returns the final state and each event's effects. */
function run(settings: ReadinessSettings, events: ReadinessEvent[]): { state: ReadinessState; effects: ReadinessEffect[][] } {
  let state = initialReadiness(settings);
  const effects: ReadinessEffect[][] = [];
  for (const event of events) {
    const next = reduce(deepFreeze(state), event);
    state = next.state;
    effects.push(next.effects);
  }
  return { state, effects };
}

/** Effects in short: "log backend.ready", "report mirai-ws unknown", "fact down", "wake", "arm 2000"… */
function brief(effects: ReadinessEffect[]): string[] {
  return effects.map((e) => {
    switch (e.type) {
      case 'log':
        return `log ${e.event}`;
      case 'report':
        return `report ${e.result.probe} ${e.result.verdict}`;
      case 'fact':
        return `fact ${e.fact.type}`;
      case 'arm-timer':
        return `arm ${e.ms}`;
      case 'cancel-timer':
        return 'cancel';
      default:
        return e.type;
    }
  });
}

const readyMirai = (at = 0): ReadinessEvent[] => [up(at), poll(at, ok('mirai-http'))];

interface Case {
  name: string;
  settings: ReadinessSettings;
  /** What happened before. */
  given?: ReadinessEvent[];
  when: ReadinessEvent;
  effects: string[];
  ready: boolean;
  reason?: string | RegExp;
}

const cases: Case[] = [
  // ---- the poll ----
  { name: 'a healthy poll without a link: ready at once', settings: POLL_ONLY, when: poll(0, ok('http')), effects: ['report http healthy', 'log backend.ready', 'fact ready', 'wake'], ready: true },
  { name: 'a healthy poll while the link is still connecting: not ready', settings: MIRAI, when: poll(0, ok('mirai-http')), effects: ['report mirai-http healthy'], ready: false, reason: 'mirai-ws: connecting' },
  { name: 'the link up after a healthy poll: ready', settings: MIRAI, given: [poll(0, ok('mirai-http'))], when: up(1), effects: ['report mirai-ws healthy', 'log ws.up', 'log backend.ready', 'fact ready', 'wake'], ready: true },
  { name: 'failed polls below the threshold: still ready', settings: MIRAI, given: [...readyMirai(), poll(1000, bad('mirai-http'))], when: poll(2000, bad('mirai-http')), effects: ['report mirai-http unhealthy'], ready: true },
  {
    name: 'the threshold-th failed poll: backend.down and a backend-down restart',
    settings: MIRAI,
    given: [...readyMirai(), poll(1000, bad('mirai-http')), poll(2000, bad('mirai-http'))],
    when: poll(3000, bad('mirai-http')),
    effects: ['report mirai-http unhealthy', 'log backend.down', 'fact down'],
    ready: false,
    reason: 'mirai-http: connection refused',
  },
  {
    name: 'more failed polls during an outage: no second backend.down, no restart storm',
    settings: MIRAI,
    given: [...readyMirai(), poll(1000, bad('mirai-http')), poll(2000, bad('mirai-http')), poll(3000, bad('mirai-http'))],
    when: poll(4000, bad('mirai-http')),
    effects: ['report mirai-http unhealthy'],
    ready: false,
  },
  {
    name: 'failed polls before the backend was ever ready: no backend.down (the start still waits)',
    settings: POLL_ONLY,
    given: [poll(0, bad('http')), poll(1000, bad('http'))],
    when: poll(2000, bad('http')),
    effects: ['report http unhealthy'],
    ready: false,
  },
  { name: 'a misconfigured poll counts as "the server answers"', settings: POLL_ONLY, when: poll(0, refused('http', 'HTTP 401')), effects: ['report http misconfigured', 'log backend.ready', 'fact ready', 'wake'], ready: true },

  // ---- the link ----
  {
    name: 'a close: ws.lost, reported as unknown while the reconnect confirms it, not ready',
    settings: MIRAI,
    given: readyMirai(),
    when: { type: 'link-lost', at: 500, loss: closed(500) },
    effects: ['log ws.lost', 'report mirai-ws unknown'],
    ready: false,
    reason: 'mirai-http: checking again after the link dropped; mirai-ws: reconnecting after: dropped (1006)',
  },
  {
    name: 'no pong: ws.lost, nothing reported yet (down follows at once)',
    settings: MIRAI,
    given: readyMirai(),
    when: { type: 'link-lost', at: 500, loss: noPong(500) },
    effects: ['log ws.lost'],
    ready: false,
  },
  {
    name: 'a confirmed drop: reported unhealthy, backend.down, a backend-down restart',
    settings: MIRAI,
    given: [...readyMirai(), { type: 'link-lost', at: 500, loss: closed(500) }],
    when: { type: 'link-down', at: 510, loss: closed(500), result: bad('mirai-ws', 'refused') },
    effects: ['report mirai-ws unhealthy', 'log backend.down', 'fact down'],
    ready: false,
    reason: /mirai-ws: refused$/,
  },
  {
    name: 'a failed attempt: reported unhealthy, ws.retry with the delay',
    settings: MIRAI,
    when: { type: 'link-failed', at: 0, result: bad('mirai-ws', 'connection refused'), nextDelayMs: 100 },
    effects: ['report mirai-ws unhealthy', 'log ws.retry'],
    ready: false,
    reason: 'mirai-http: first check pending; mirai-ws: connection refused',
  },
  {
    name: 'a misconfigured link: reported, and the poll alone gates (degraded ready)',
    settings: MIRAI,
    given: [poll(0, ok('mirai-http'))],
    when: { type: 'link-misconfigured', at: 1, result: refused('mirai-ws') },
    effects: ['report mirai-ws misconfigured', 'log backend.ready', 'fact ready', 'wake'],
    ready: true,
  },
  {
    name: 'the link back while the poll is stale: a fresh poll is asked for; not ready before it answers',
    settings: MIRAI,
    given: [...readyMirai(), { type: 'link-lost', at: 500, loss: noPong(500) }, { type: 'link-down', at: 500, loss: noPong(500), result: undefined }],
    when: up(700),
    effects: ['report mirai-ws healthy', 'log ws.up', 'check-poll'],
    ready: false,
    reason: 'mirai-http: checking again after the link dropped',
  },
  {
    name: 'a poll that started before the drop does not clear it',
    settings: MIRAI,
    given: [...readyMirai(), { type: 'link-lost', at: 500, loss: closed(500) }, { type: 'link-blip', at: 505, loss: closed(500), result: ok('mirai-ws') }, up(505)],
    when: poll(600, { ...ok('mirai-http'), latencyMs: 200 }),
    effects: ['report mirai-http healthy'],
    ready: false,
  },
  {
    name: 'a poll that started after the drop does: ready again, with downMs when it was an outage',
    settings: MIRAI,
    given: [...readyMirai(), { type: 'link-lost', at: 500, loss: closed(500) }, { type: 'link-blip', at: 505, loss: closed(500), result: ok('mirai-ws') }, up(505)],
    when: poll(600, { ...ok('mirai-http'), latencyMs: 90 }),
    effects: ['report mirai-http healthy', 'log backend.ready', 'fact ready', 'wake'],
    ready: true,
  },

  // ---- links we closed ourselves (a frame too big or invalid) ----
  {
    name: 'a link we closed: ws.reset, still ready, nothing reported, no restart, the poll not stale',
    settings: MIRAI,
    given: readyMirai(),
    when: { type: 'link-reset', at: 500, loss: { cause: 'protocol', closeCode: 1009, reason: 'a frame larger than 1 MiB', at: 500 }, delayMs: 0 },
    effects: ['log ws.reset'],
    ready: true,
  },
  {
    name: 'the third such reset: counted, not logged (1st, 2nd, 4th… are)',
    settings: MIRAI,
    given: [
      ...readyMirai(),
      { type: 'link-reset', at: 500, loss: { cause: 'protocol', closeCode: 1009, reason: 'big', at: 500 }, delayMs: 0 },
      up(501),
      { type: 'link-reset', at: 600, loss: { cause: 'protocol', closeCode: 1009, reason: 'big', at: 600 }, delayMs: 100 },
      up(701),
    ],
    when: { type: 'link-reset', at: 800, loss: { cause: 'protocol', closeCode: 1002, reason: 'invalid', at: 800 }, delayMs: 200 },
    effects: [],
    ready: true,
  },
  {
    name: 'its renewal failed: the backend is away after all, an outage, and a fresh poll is needed',
    settings: MIRAI,
    given: [...readyMirai(), { type: 'link-reset', at: 500, loss: { cause: 'protocol', closeCode: 1009, reason: 'big', at: 500 }, delayMs: 0 }],
    when: { type: 'link-down', at: 510, loss: { cause: 'protocol', closeCode: 1009, reason: 'big', at: 500 }, result: bad('mirai-ws', 'connection refused') },
    effects: ['report mirai-ws unhealthy', 'log backend.down', 'fact down'],
    ready: false,
    reason: 'mirai-http: checking again after the link dropped; mirai-ws: connection refused',
  },

  // ---- blips ----
  {
    name: 'a blip: backend.blip, and a fact for the sink (which restarts a bot that ran before the drop)',
    settings: MIRAI,
    given: [...readyMirai(), { type: 'link-lost', at: 500, loss: closed(500) }],
    when: { type: 'link-blip', at: 520, loss: closed(500), result: ok('mirai-ws') },
    effects: ['log backend.blip', 'fact blip'],
    ready: false,
  },

  // ---- heartbeats and the account ----
  { name: 'the first heartbeat of a link: ws.heartbeat', settings: ONEBOT, given: [up(0, 'onebot-ws'), poll(0, ok('onebot-http'))], when: { type: 'heartbeat', at: 1, signal: { kind: 'heartbeat', intervalMs: 5000, online: true } }, effects: ['log ws.heartbeat'], ready: true },
  {
    name: 'later healthy heartbeats: nothing',
    settings: ONEBOT,
    given: [up(0, 'onebot-ws'), poll(0, ok('onebot-http')), { type: 'heartbeat', at: 1, signal: { kind: 'heartbeat', intervalMs: 5000, online: true } }],
    when: { type: 'heartbeat', at: 5001, signal: { kind: 'heartbeat', intervalMs: 5000, online: true } },
    effects: [],
    ready: true,
  },
  {
    name: 'OneBot status.online=false: account-offline, and an outage',
    settings: ONEBOT,
    given: [up(0, 'onebot-ws'), poll(0, ok('onebot-http')), { type: 'heartbeat', at: 1, signal: { kind: 'heartbeat', intervalMs: 5000, online: true } }],
    when: { type: 'heartbeat', at: 5001, signal: { kind: 'heartbeat', intervalMs: 5000, online: false } },
    effects: ['log backend.account-offline', 'fact account-offline', 'log backend.down', 'fact down'],
    ready: false,
    reason: 'the QQ account is offline (heartbeat)',
  },
  {
    name: 'mirai account offline: not ready, the bot is left alone',
    settings: MIRAI,
    given: readyMirai(),
    when: { type: 'account', at: 100, signal: { kind: 'account', online: false, event: 'BotOfflineEventDropped', details: { qq: 1 } } },
    effects: ['log backend.account-offline', 'fact account-offline'],
    ready: false,
    reason: 'the QQ account is offline (BotOfflineEventDropped)',
  },
  {
    name: 'mirai account back: account-online, an account-relogin restart, ready',
    settings: MIRAI,
    given: [...readyMirai(), { type: 'account', at: 100, signal: { kind: 'account', online: false, event: 'BotOfflineEventDropped', details: { qq: 1 } } }],
    when: { type: 'account', at: 400, signal: { kind: 'account', online: true, event: 'BotReloginEvent', details: { qq: 1 } } },
    effects: ['log backend.account-online', 'fact account-online', 'log backend.ready', 'fact ready', 'wake'],
    ready: true,
  },

  // ---- the waiting log ----
  { name: 'a start waits while nothing has said no yet: only the timer', settings: MIRAI, when: { type: 'wait-start', at: 0 }, effects: ['arm 2000'], ready: false },
  { name: 'a start waits while something said no: backend.waiting at once', settings: POLL_ONLY, given: [poll(0, bad('http'))], when: { type: 'wait-start', at: 10 }, effects: ['log backend.waiting', 'arm 2000'], ready: false },
  { name: 'the first no while a start waits: backend.waiting', settings: POLL_ONLY, given: [{ type: 'wait-start', at: 0 }], when: poll(10, bad('http')), effects: ['report http unhealthy', 'log backend.waiting'], ready: false },
  { name: 'a second no while waiting: no line of its own', settings: POLL_ONLY, given: [{ type: 'wait-start', at: 0 }, poll(10, bad('http'))], when: poll(1010, bad('http')), effects: ['report http unhealthy'], ready: false },
  { name: 'the timer: backend.waiting again, timer re-armed', settings: POLL_ONLY, given: [{ type: 'wait-start', at: 0 }, poll(10, bad('http'))], when: { type: 'waiting-tick', at: 2000 }, effects: ['log backend.waiting', 'arm 2000'], ready: false },
  { name: 'nobody waits: the timer is cancelled', settings: POLL_ONLY, given: [{ type: 'wait-start', at: 0 }], when: { type: 'wait-end', at: 5 }, effects: ['cancel'], ready: false },
  { name: 'a late tick after the wait ended: nothing', settings: POLL_ONLY, given: [{ type: 'wait-start', at: 0 }, { type: 'wait-end', at: 5 }], when: { type: 'waiting-tick', at: 2000 }, effects: [], ready: false },

  // ---- stop ----
  { name: 'stop: the timer is cancelled and the waiters woken', settings: MIRAI, given: [{ type: 'wait-start', at: 0 }], when: { type: 'stop', at: 10 }, effects: ['cancel', 'wake'], ready: false },
  { name: 'after stop, nothing is judged', settings: MIRAI, given: [...readyMirai(), { type: 'stop', at: 10 }], when: { type: 'link-down', at: 20, loss: noPong(20), result: undefined }, effects: [], ready: true },
];

for (const c of cases) {
  test(`readiness: ${c.name}`, () => {
    const { state, effects } = run(c.settings, [...(c.given ?? []), c.when]);
    assert.deepEqual(brief(effects.at(-1) ?? []), c.effects);
    assert.equal(state.ready, c.ready);
    if (c.reason instanceof RegExp) assert.match(notReadyReason(state) ?? '', c.reason);
    else if (c.reason !== undefined) assert.equal(notReadyReason(state), c.reason);
  });
}

/** The evidence of the outage fact in the last step. */
function outage(effects: ReadinessEffect[][]): unknown {
  const fact = last(effects, 'fact').find((e) => e.fact.type === 'down')?.fact;
  return fact?.type === 'down' ? fact.evidence : undefined;
}

/** The effects of one kind in the last step. */
function last<T extends ReadinessEffect['type']>(effects: ReadinessEffect[][], type: T): Extract<ReadinessEffect, { type: T }>[] {
  return (effects.at(-1) ?? []).filter((e): e is Extract<ReadinessEffect, { type: T }> => e.type === type);
}

test('readiness: the evidence of an outage and of a blip, for backend.down, backend.blip and child.stop', () => {
  const polls = run(MIRAI, [...readyMirai(), poll(1000, bad('mirai-http')), poll(2000, bad('mirai-http')), poll(3000, bad('mirai-http', 'GET /about: connection refused'))]);
  assert.deepEqual(outage(polls.effects), { probe: 'mirai-http', lastReason: 'GET /about: connection refused', failures: 3 });
  assert.deepEqual(last(polls.effects, 'log')[0]?.fields, { probe: 'mirai-http', lastReason: 'GET /about: connection refused', failures: 3 });

  const drop = run(MIRAI, [...readyMirai(), { type: 'link-lost', at: 500, loss: closed(500) }, { type: 'link-down', at: 510, loss: closed(500), result: bad('mirai-ws', 'refused') }]);
  const evidence = { probe: 'mirai-ws', cause: 'closed', lastReason: 'dropped (1006)', closeCode: 1006, reconnect: 'refused' };
  assert.deepEqual(outage(drop.effects), evidence);
  assert.deepEqual(last(drop.effects, 'report')[0]?.result, { probe: 'mirai-ws', verdict: 'unhealthy', reason: 'dropped (1006)', latencyMs: 0, evidence: { cause: 'closed', closeCode: 1006, reconnect: 'refused' } });

  const blip = run(MIRAI, [...readyMirai(), { type: 'link-lost', at: 500, loss: closed(500) }, { type: 'link-blip', at: 520, loss: closed(500), result: ok('mirai-ws') }]);
  assert.deepEqual(last(blip.effects, 'fact')[0]?.fact, {
    type: 'blip',
    probe: 'mirai-ws',
    lostAt: 500,
    evidence: { probe: 'mirai-ws', cause: 'closed', lastReason: 'dropped (1006)', closeCode: 1006, blip: true, downMs: 20 },
  });
  assert.deepEqual(last(blip.effects, 'log')[0]?.fields, { probe: 'mirai-ws', cause: 'closed', lastReason: 'dropped (1006)', closeCode: 1006, blip: true, downMs: 20, reconnect: 'mirai-ws ok' });
});

test('readiness: backend.ready says how long it was down, which part is degraded, and what the parts told (no url)', () => {
  const first = run(MIRAI, [poll(0, { ...ok('mirai-http', { version: '2.9.1', url: 'http://h' }) }), { type: 'link-misconfigured', at: 1, result: refused('mirai-ws') }]);
  const ready = last(first.effects, 'log')[0];
  assert.equal(ready?.event, 'backend.ready');
  assert.deepEqual(ready?.fields, { version: '2.9.1', degraded: ['mirai-ws'] });
  assert.equal(ready?.message, 'the backend is ready');

  const again = run(POLL_ONLY, [poll(0, ok('http')), poll(1000, bad('http')), poll(2000, bad('http')), poll(3500, ok('http'))]);
  const back = last(again.effects, 'log')[0];
  assert.deepEqual(back?.fields, { downMs: 1500 });
  assert.equal(back?.message, 'the backend is ready again after 1500ms');
});

test('readiness: ws.heartbeat says what an absurd announced interval is counted as', () => {
  const { effects } = run(ONEBOT, [up(0, 'onebot-ws'), poll(0, ok('onebot-http')), { type: 'heartbeat', at: 1, signal: { kind: 'heartbeat', intervalMs: 1, online: true } }]);
  const line = last(effects, 'log')[0];
  assert.deepEqual(line?.fields, { probe: 'onebot-ws', intervalMs: 1, countedMs: 1000 });
  assert.equal(line?.message, 'onebot-ws: heartbeats every 1ms, counted as 1000ms; none for 2000ms = dead');
});

test('readiness: the waiting log says how long the start has waited and why', () => {
  const { effects } = run(POLL_ONLY, [{ type: 'wait-start', at: 100 }, poll(150, bad('http', 'GET /: connection refused')), { type: 'waiting-tick', at: 2100 }]);
  assert.deepEqual(last(effects, 'log')[0]?.fields, { reason: 'http: GET /: connection refused', waitedMs: 2000 });
});

test('readiness: account back on a OneBot link is no relogin restart; offlineMs is logged', () => {
  const { effects } = run(ONEBOT, [
    up(0, 'onebot-ws'),
    poll(0, ok('onebot-http')),
    { type: 'heartbeat', at: 1000, signal: { kind: 'heartbeat', intervalMs: 5000, online: false } },
    { type: 'heartbeat', at: 6000, signal: { kind: 'heartbeat', intervalMs: 5000, online: true } },
  ]);
  assert.deepEqual(brief(effects.at(-1) ?? []), ['log backend.account-online', 'fact account-online', 'log backend.ready', 'fact ready', 'wake']);
  assert.deepEqual(last(effects, 'log')[0]?.fields, { probe: 'onebot-ws', type: 'heartbeat', offlineMs: 5000 });
});

test('readiness: a new link forgets what the old one said about the account', () => {
  const { state } = run(MIRAI, [
    ...readyMirai(),
    { type: 'account', at: 100, signal: { kind: 'account', online: false, event: 'BotOfflineEventForce', details: {} } },
    { type: 'link-lost', at: 200, loss: noPong(200) },
    { type: 'link-down', at: 200, loss: noPong(200), result: undefined },
    up(300),
    poll(400, ok('mirai-http')),
  ]);
  assert.deepEqual(state.accountOffline, {});
  assert.equal(state.ready, true);
});
