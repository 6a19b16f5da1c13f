import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EXIT } from '../../src/exit-codes.js';
import { decideAfterRun, type DecisionContext, type RunOutcome } from '../../src/supervisor/restart-decision.js';
import { dampOutage } from '../../src/supervisor/outage-damping.js';
import { REASON_RULES, stopTimeoutFor, type RestartReason } from '../../src/supervisor/restart-reasons.js';

const ctx = (over: Partial<DecisionContext> = {}): DecisionContext => ({
  policy: 'always',
  shuttingDown: false,
  hangup: false,
  everStarted: true,
  backendReady: true,
  waitForBackend: true,
  now: 100_000,
  limit: { count: 3, window: 60_000 },
  recentRestarts: [],
  backoff: { initialDelay: 1000, maxDelay: 8000, factor: 2, jitter: 0, resetAfter: 30_000 },
  attempt: 0,
  random: () => 0.5,
  ...over,
});
const crash: RunOutcome = { exit: { code: 1, signal: null }, uptimeMs: 1000, requested: undefined };
const clean: RunOutcome = { exit: { code: 0, signal: null }, uptimeMs: 1000, requested: undefined };
const asked = (reason: RestartReason): RunOutcome => ({ exit: { code: null, signal: 'SIGTERM' }, uptimeMs: 1000, requested: reason });

test('every reason, table-driven: policy, limit, backoff and the backend wait follow its rules', () => {
  const rows: [RunOutcome, Partial<DecisionContext>, string][] = [
    // outcome, context, expected "action reason attempt delay wait" or "exit code why"
    [crash, {}, 'restart exited 1 1000 wait'],
    [clean, {}, 'restart exited 1 1000 wait'],
    [clean, { policy: 'on-failure' }, 'exit 0 policy'],
    [crash, { policy: 'on-failure' }, 'restart exited 1 1000 wait'],
    [crash, { policy: 'never' }, 'exit 1 policy'],
    [asked('heartbeat-stale'), { policy: 'never' }, 'exit 143 policy'],
    [asked('link-lost'), { attempt: 2 }, 'restart link-lost 3 4000 wait'],
    [asked('output-match'), { attempt: 9 }, 'restart output-match 10 8000 wait'],
    [asked('output-silent'), { waitForBackend: false }, 'restart output-silent 1 1000 -'],
    [asked('backend-down'), { policy: 'never', waitForBackend: false, attempt: 4 }, 'restart backend-down 0 0 wait'],
    [asked('account-relogin'), { policy: 'never' }, 'restart account-relogin 0 0 wait'],
    [asked('sighup'), { policy: 'never', waitForBackend: false }, 'restart sighup 0 0 -'],
    [crash, { hangup: true, policy: 'never' }, 'restart sighup 0 0 wait'],
    [crash, { backendReady: false, policy: 'never' }, 'restart backend-down 0 0 wait'],
    [crash, { backendReady: undefined }, 'restart exited 1 1000 wait'],
    [crash, { shuttingDown: true }, 'exit 1 shutdown'],
    [{ ...crash, exit: { code: null, signal: null, error: { code: 'ENOENT', message: 'x' } } }, { everStarted: false }, `exit ${EXIT.NOT_FOUND} cannot-start`],
    [{ ...crash, exit: { code: null, signal: null, error: { code: 'EACCES', message: 'x' } } }, { everStarted: false }, `exit ${EXIT.NOT_EXECUTABLE} cannot-start`],
    [{ ...crash, exit: { code: null, signal: null, error: { code: 'EACCES', message: 'x' } } }, {}, 'restart exited 1 1000 wait'],
    [crash, { recentRestarts: [50_000, 60_000, 70_000] }, `exit ${EXIT.GAVE_UP} limit`],
    [crash, { recentRestarts: [30_000, 60_000, 70_000] }, 'restart exited 1 1000 wait'],
    [asked('backend-down'), { recentRestarts: [50_000, 60_000, 70_000] }, 'restart backend-down 0 0 wait'],
    [crash, { limit: { count: 0, window: 60_000 }, recentRestarts: [90_000, 95_000, 99_000] }, 'restart exited 1 1000 wait'],
    [{ ...crash, uptimeMs: 30_000 }, { attempt: 5 }, 'restart exited 1 1000 wait'],
  ];
  for (const [outcome, over, expected] of rows) {
    const { decision } = decideAfterRun(outcome, ctx(over));
    const got =
      decision.action === 'exit'
        ? `exit ${decision.code} ${decision.why}`
        : `restart ${decision.reason} ${decision.attempt} ${decision.delayMs} ${decision.waitForBackend ? 'wait' : '-'}`;
    assert.equal(got, expected, `${JSON.stringify(outcome)} ${JSON.stringify(over)}`);
  }
});

test('the limit window slides and only counting reasons are recorded; the backoff attempt is fed back', () => {
  let state = { recentRestarts: [] as number[], attempt: 0 };
  const seen: string[] = [];
  for (const [now, outcome] of [[1000, crash], [2000, asked('backend-down')], [3000, crash], [4000, crash], [65_000, crash]] as const) {
    const result = decideAfterRun(outcome, ctx({ now, ...state }));
    state = { recentRestarts: result.recentRestarts, attempt: result.attempt };
    seen.push(`${result.decision.action}:${state.recentRestarts.join(',')}:${state.attempt}`);
  }
  assert.deepEqual(seen, ['restart:1000:1', 'restart:1000:1', 'restart:1000,3000:2', 'restart:1000,3000,4000:3', 'restart:65000:4']);
});

test('jitter spreads the delay over ±jitter around the base, never above maxDelay', () => {
  const backoff = { initialDelay: 1000, maxDelay: 5000, factor: 2, jitter: 0.2, resetAfter: 30_000 };
  const delay = (random: number, attempt: number) => {
    const { decision } = decideAfterRun(crash, ctx({ backoff, random: () => random, attempt }));
    return decision.action === 'restart' ? decision.delayMs : -1;
  };
  assert.deepEqual([0, 0.25, 0.5, 0.75, 0.999999].map((x) => delay(x, 0)), [800, 900, 1000, 1100, 1200]);
  assert.deepEqual([0, 0.5, 0.999999].map((x) => delay(x, 1)), [1600, 2000, 2400]);
  assert.deepEqual([0, 0.5, 0.999999].map((x) => delay(x, 5)), [4000, 5000, 5000], 'capped at maxDelay after the spread');
});

test('the table gives every reason all its rules', () => {
  for (const [reason, rules] of Object.entries(REASON_RULES)) {
    assert.deepEqual(Object.keys(rules).sort(), ['backoff', 'bypassesPolicy', 'countsTowardLimit', 'hung', 'outage', 'waitForBackend'], reason);
  }
  // Only the reasons that mean the bot's loop is not running are killed after stop.hungTimeout.
  assert.deepEqual(
    Object.entries(REASON_RULES)
      .filter(([, rules]) => rules.hung)
      .map(([reason]) => reason)
      .sort(),
    ['heartbeat-stale', 'link-stalled', 'output-silent'],
  );
  // Only the backend's restarts are damped by restart.flapping.
  assert.deepEqual(
    Object.entries(REASON_RULES)
      .filter(([, rules]) => rules.outage)
      .map(([reason]) => reason)
      .sort(),
    ['account-relogin', 'backend-down'],
  );
  // The watchdog's own stops are never the bot's failures.
  for (const reason of ['sighup', 'backend-down', 'account-relogin'] as const) {
    assert.equal(REASON_RULES[reason].countsTowardLimit, false);
    assert.equal(REASON_RULES[reason].bypassesPolicy, true);
    assert.equal(REASON_RULES[reason].backoff, false);
  }
});

const FLAPPING = { count: 3, window: 600_000, delay: 10_000, maxDelay: 300_000 };

test('restart.flapping: the first `count` outage restarts within the window are free, then 10 s, 20 s, 40 s… capped at maxDelay', () => {
  let earlier: number[] = [];
  const delays: number[] = [];
  for (let i = 0; i < 10; i++) {
    const damping = dampOutage(1000 * i, earlier, FLAPPING);
    earlier = damping.recent;
    delays.push(damping.delayMs);
  }
  assert.deepEqual(delays, [0, 0, 0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
  // The window slides: after 10 minutes of quiet, restarts are free again.
  assert.deepEqual(dampOutage(9000 + 600_000, earlier, FLAPPING), { recent: [609_000], delayMs: 0 });
  assert.equal(dampOutage(5000, [1000, 2000, 3000, 4000], FLAPPING).flapping?.outages, 5);
  assert.deepEqual(dampOutage(5000, [1, 2, 3, 4], { ...FLAPPING, count: 0 }), { recent: [], delayMs: 0 }, 'count 0: no damping');
  assert.deepEqual(dampOutage(5000, [1, 2, 3, 4], undefined), { recent: [], delayMs: 0 });
});

test('restart.flapping in the decision: outage restarts only; the delay, the count and the window are fed back; the limit is untouched', () => {
  let recentOutages: number[] = [];
  const got: string[] = [];
  const steps: [number, RunOutcome][] = [
    [1000, asked('backend-down')],
    [2000, asked('account-relogin')],
    [3000, crash], // the bot's own failure: backoff and the limit, not restart.flapping
    [4000, asked('backend-down')],
    [5000, { ...crash, requested: undefined }],
    [6000, asked('backend-down')],
    [7000, asked('sighup')],
  ];
  for (const [now, outcome] of steps) {
    const over: Partial<DecisionContext> = { now, flapping: FLAPPING, recentOutages, ...(now === 5000 ? { backendReady: false } : {}) };
    const result = decideAfterRun(outcome, ctx(over));
    recentOutages = result.recentOutages;
    const d = result.decision;
    got.push(d.action === 'restart' ? `${d.reason} ${d.delayMs} ${d.flapping ? `${d.flapping.outages}/${d.flapping.windowMs}` : '-'} limit:${result.recentRestarts.length}` : d.action);
  }
  assert.deepEqual(got, [
    'backend-down 0 - limit:0',
    'account-relogin 0 - limit:0',
    'exited 1000 - limit:1',
    'backend-down 0 - limit:0',
    'backend-down 10000 4/600000 limit:0', // the bot exited while the backend was away: an outage restart
    'backend-down 20000 5/600000 limit:0',
    'sighup 0 - limit:0', // the operator's SIGHUP is never damped
  ]);
  assert.deepEqual(recentOutages, [1000, 2000, 4000, 5000, 6000]);
});

test('stopTimeoutFor: stop.hungTimeout for a hung bot, never longer than stop.timeout; stop.timeout otherwise', () => {
  const stop = { timeout: 10_000, hungTimeout: 3000 };
  const hung: RestartReason[] = ['heartbeat-stale', 'link-stalled', 'output-silent'];
  for (const reason of Object.keys(REASON_RULES) as RestartReason[]) {
    assert.equal(stopTimeoutFor(reason, stop), hung.includes(reason) ? 3000 : 10_000, reason);
  }
  assert.equal(stopTimeoutFor(undefined, stop), 10_000, 'a shutdown or an exit');
  assert.equal(stopTimeoutFor('link-stalled', { timeout: 2000, hungTimeout: 3000 }), 2000);
  assert.equal(stopTimeoutFor('link-stalled', { timeout: 10_000 }), 10_000, 'without hungTimeout');
});
