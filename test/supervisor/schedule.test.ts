// restart.schedule: cron due times on virtual wall-clock time, clock jumps, validation; and the
// `scheduled` reason's rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cronError, MIN_UPTIME_FOR_SCHEDULED_MS, RECHECK_MS, RestartSchedule, ScheduledRestarts, scheduleProblem } from '../../src/supervisor/schedule.js';
import { FakeHandle } from '../helpers/fake-handle.js';
import { memoryLogger } from '../helpers/log-sink.js';
import { reasonRules } from '../../src/supervisor/restart-reasons.js';
import { FakeClock } from '../helpers/fake-clock.js';

// Cron expressions are in local time: these tests pin it (Node applies a TZ assignment at once).
process.env.TZ = 'UTC';

const HOUR = 3_600_000;
const at = (iso: string) => Date.parse(iso);

function setup(expression: string, wallStart: string) {
  const timers = new FakeClock(at(wallStart));
  const fired: { due: string; wall: string }[] = [];
  const schedule = new RestartSchedule({
    expression,
    clock: timers,
    onDue: (due) => fired.push({ due: due.toISOString(), wall: new Date(timers.wallNow()).toISOString() }),
  });
  schedule.start();
  return { timers, fired, schedule };
}

test('every 4 hours: called exactly at each due time, never early', () => {
  const s = setup('0 */4 * * *', '2024-05-01T10:30:00Z');
  assert.equal(s.schedule.next()?.toISOString(), '2024-05-01T12:00:00.000Z');
  s.timers.advanceToSync(1.5 * HOUR - 1);
  assert.equal(s.fired.length, 0);
  s.timers.advanceToSync(1.5 * HOUR);
  assert.deepEqual(s.fired, [{ due: '2024-05-01T12:00:00.000Z', wall: '2024-05-01T12:00:00.000Z' }]);
  s.timers.advanceSync(24 * HOUR);
  assert.deepEqual(
    s.fired.map((f) => f.due.slice(11, 16)),
    ['12:00', '16:00', '20:00', '00:00', '04:00', '08:00', '12:00'],
  );
  assert.ok(s.fired.every((f) => f.due === f.wall), 'each exactly on time');
  assert.ok(Math.max(...s.timers.delays) <= RECHECK_MS, 'no wait longer than a minute: the wall clock is looked at again');
});

test('seconds too (6 fields), and @hourly', () => {
  const s = setup('*/10 * * * * *', '2024-05-01T10:00:05Z');
  s.timers.advanceSync(30_000);
  assert.deepEqual(s.fired.map((f) => f.due.slice(17, 19)), ['10', '20', '30']);
  const h = setup('@hourly', '2024-05-01T10:59:59Z');
  h.timers.advanceSync(1000);
  assert.equal(h.fired.length, 1);
});

test('the wall clock jumps forward over two due times: one call, within a minute; then the regular times', () => {
  const s = setup('0 * * * *', '2024-05-01T10:10:00Z');
  s.timers.advanceSync(10 * 60_000); // 10:20
  s.timers.jumpWall(2 * HOUR + 30 * 60_000); // 12:50: 11:00 and 12:00 passed unseen
  s.timers.advanceSync(RECHECK_MS);
  assert.equal(s.fired.length, 1);
  assert.equal(s.fired[0]?.due, '2024-05-01T11:00:00.000Z');
  s.timers.advanceSync(HOUR);
  assert.deepEqual(s.fired.map((f) => f.due.slice(11, 16)), ['11:00', '13:00']);
});

test('the wall clock goes back over a due time that already fired: not called again for it', () => {
  const s = setup('0 12 * * *', '2024-05-01T11:59:00Z');
  s.timers.advanceSync(60_000);
  assert.equal(s.fired.length, 1);
  s.timers.jumpWall(-30 * 60_000); // 11:30 again
  s.timers.advanceSync(HOUR);
  assert.equal(s.fired.length, 1);
  s.timers.advanceSync(24 * HOUR);
  assert.deepEqual(s.fired.map((f) => f.due.slice(0, 16)), ['2024-05-01T12:00', '2024-05-02T12:00']);
});

test('stop: nothing more is called and no timer is left', () => {
  const s = setup('* * * * *', '2024-05-01T10:00:30Z');
  s.timers.advanceSync(30_000);
  assert.equal(s.fired.length, 1);
  s.schedule.stop();
  assert.equal(s.timers.pending(), 0);
  s.timers.advanceSync(HOUR);
  assert.equal(s.fired.length, 1);
  assert.equal(s.schedule.next(), undefined);
});

test('cronError: undefined for valid expressions, a reason for the others', () => {
  for (const ok of ['0 4 * * *', '*/15 * * * *', '0 0 */6 * * *', '@daily', '0 3 * * 1-5']) assert.equal(cronError(ok), undefined, ok);
  assert.match(cronError('61 * * * *') ?? '', /minute: 61/);
  assert.match(cronError('every day') ?? '', /five, six, or seven space separated parts/);
  assert.equal(cronError('0 0 30 2 *'), 'the cron expression never fires');
});

test('scheduleProblem: a schedule firing more often than every 10 minutes at any time of its day is refused, saying how often and why', () => {
  const from = new Date('2024-05-01T10:00:00Z');
  for (const ok of ['0 4 * * *', '*/10 * * * *', '@hourly', '@daily', '0 */6 * * *', '0 3 * * 1-5', '0 0 1 * *', '0 0,30 4 * * *'])
    assert.equal(scheduleProblem(ok, from), undefined, ok);
  const cases: [string, RegExp][] = [
    ['* * * * * *', /^fires every 1s \(2024-05-01T10:00:01\.000Z, then 2024-05-01T10:00:02\.000Z\): planned restarts must be at least 10m apart/],
    ['* * * * *', /^fires every 1m /],
    ['*/5 * * * *', /^fires every 5m /],
    ['* 4 * * *', /^fires every 1m \(2024-05-02T04:00:00\.000Z/], // every minute of one hour a day
    ['0,5 4 * * *', /^fires every 5m /],
    ['0,55 0,23 * * *', /^fires every 5m \(2024-05-01T23:55:00\.000Z/], // across midnight
    ['0 0 1 1 * ', undefined as unknown as RegExp],
  ];
  for (const [expression, expected] of cases) {
    if (expected === undefined) assert.equal(scheduleProblem(expression, from), undefined, expression);
    else assert.match(scheduleProblem(expression, from) ?? '', expected, expression);
  }
  assert.match(scheduleProblem('* * * * * *', from) ?? '', /QQ login/);
  assert.match(scheduleProblem('every day', from) ?? '', /^expected a cron expression like "0 4 \* \* \*" \(/);
});

test('a planned restart while the bot has been up less than 5 minutes is skipped and logged (no storm on top of other restarts)', () => {
  const timers = new FakeClock(at('2024-05-01T03:50:00Z'));
  const log = memoryLogger('info');
  const handle = new FakeHandle(timers);
  const schedule = new ScheduledRestarts('*/10 * * * *', log.logger, timers);
  schedule.start(handle);
  timers.advanceSync(7 * 60_000); // 03:57
  handle.spawn(); // just (re)started: by a crash, a probe, SIGHUP
  timers.advanceSync(3 * 60_000); // 04:00: up 3 min
  assert.equal(handle.restarts.length, 0);
  const skipped = log.events('restart.planned').find((line) => line['skipped'] !== undefined);
  assert.deepEqual([skipped?.['due'], skipped?.['restarted'], skipped?.['skipped'], skipped?.['uptimeMs']], ['2024-05-01T04:00:00.000Z', false, 'recently-started', 3 * 60_000]);
  assert.match(String(skipped?.['msg']), /up only 3m \(less than 5m\)/);
  timers.advanceSync(10 * 60_000); // 04:10: up 13 min
  assert.deepEqual(handle.restarts.map((r) => r.reason), ['scheduled']);
  assert.ok(MIN_UPTIME_FOR_SCHEDULED_MS === 5 * 60_000);
  schedule.stop();
});

test('reason "scheduled": never counts toward the limit, whatever the policy, no backoff, waits for the backend as configured, never damped as a backend restart', () => {
  assert.deepEqual(reasonRules('scheduled'), { countsTowardLimit: false, bypassesPolicy: true, backoff: false, waitForBackend: 'if-configured', outage: false, hung: false });
});
