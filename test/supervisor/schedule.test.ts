// restart.schedule: cron due times on virtual wall-clock time, clock jumps, validation; and the
// `scheduled` reason's rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cronError, RECHECK_MS, RestartSchedule } from '../../src/supervisor/schedule.js';
import { reasonRules } from '../../src/supervisor/restart-reasons.js';
import { VirtualTimers } from '../helpers/virtual-timers.js';

// Cron expressions are in local time: these tests pin it (Node applies a TZ assignment at once).
process.env.TZ = 'UTC';

const HOUR = 3_600_000;
const at = (iso: string) => Date.parse(iso);

function setup(expression: string, wallStart: string) {
  const timers = new VirtualTimers(0, at(wallStart));
  const fired: { due: string; wall: string }[] = [];
  const schedule = new RestartSchedule({
    expression,
    timers,
    onDue: (due) => fired.push({ due: due.toISOString(), wall: new Date(timers.wallNow()).toISOString() }),
  });
  schedule.start();
  return { timers, fired, schedule };
}

test('every 4 hours: called exactly at each due time, never early', () => {
  const s = setup('0 */4 * * *', '2024-05-01T10:30:00Z');
  assert.equal(s.schedule.next()?.toISOString(), '2024-05-01T12:00:00.000Z');
  s.timers.advanceTo(1.5 * HOUR - 1);
  assert.equal(s.fired.length, 0);
  s.timers.advanceTo(1.5 * HOUR);
  assert.deepEqual(s.fired, [{ due: '2024-05-01T12:00:00.000Z', wall: '2024-05-01T12:00:00.000Z' }]);
  s.timers.advance(24 * HOUR);
  assert.deepEqual(
    s.fired.map((f) => f.due.slice(11, 16)),
    ['12:00', '16:00', '20:00', '00:00', '04:00', '08:00', '12:00'],
  );
  assert.ok(s.fired.every((f) => f.due === f.wall), 'each exactly on time');
  assert.ok(Math.max(...s.timers.delays) <= RECHECK_MS, 'no wait longer than a minute: the wall clock is looked at again');
});

test('seconds too (6 fields), and @hourly', () => {
  const s = setup('*/10 * * * * *', '2024-05-01T10:00:05Z');
  s.timers.advance(30_000);
  assert.deepEqual(s.fired.map((f) => f.due.slice(17, 19)), ['10', '20', '30']);
  const h = setup('@hourly', '2024-05-01T10:59:59Z');
  h.timers.advance(1000);
  assert.equal(h.fired.length, 1);
});

test('the wall clock jumps forward over two due times: one call, within a minute; then the regular times', () => {
  const s = setup('0 * * * *', '2024-05-01T10:10:00Z');
  s.timers.advance(10 * 60_000); // 10:20
  s.timers.jumpWall(2 * HOUR + 30 * 60_000); // 12:50: 11:00 and 12:00 passed unseen
  s.timers.advance(RECHECK_MS);
  assert.equal(s.fired.length, 1);
  assert.equal(s.fired[0]?.due, '2024-05-01T11:00:00.000Z');
  s.timers.advance(HOUR);
  assert.deepEqual(s.fired.map((f) => f.due.slice(11, 16)), ['11:00', '13:00']);
});

test('the wall clock goes back over a due time that already fired: not called again for it', () => {
  const s = setup('0 12 * * *', '2024-05-01T11:59:00Z');
  s.timers.advance(60_000);
  assert.equal(s.fired.length, 1);
  s.timers.jumpWall(-30 * 60_000); // 11:30 again
  s.timers.advance(HOUR);
  assert.equal(s.fired.length, 1);
  s.timers.advance(24 * HOUR);
  assert.deepEqual(s.fired.map((f) => f.due.slice(0, 16)), ['2024-05-01T12:00', '2024-05-02T12:00']);
});

test('stop: nothing more is called and no timer is left', () => {
  const s = setup('* * * * *', '2024-05-01T10:00:30Z');
  s.timers.advance(30_000);
  assert.equal(s.fired.length, 1);
  s.schedule.stop();
  assert.equal(s.timers.pending(), 0);
  s.timers.advance(HOUR);
  assert.equal(s.fired.length, 1);
  assert.equal(s.schedule.next(), undefined);
});

test('cronError: undefined for valid expressions, a reason for the others', () => {
  for (const ok of ['0 4 * * *', '*/15 * * * *', '0 0 */6 * * *', '@daily', '0 3 * * 1-5']) assert.equal(cronError(ok), undefined, ok);
  assert.match(cronError('61 * * * *') ?? '', /minute: 61/);
  assert.match(cronError('every day') ?? '', /five, six, or seven space separated parts/);
  assert.equal(cronError('0 0 30 2 *'), 'the cron expression never fires');
});

test('reason "scheduled": never counts toward the limit, whatever the policy, no backoff, waits for the backend as configured, never damped as a backend restart', () => {
  assert.deepEqual(reasonRules('scheduled'), { countsTowardLimit: false, bypassesPolicy: true, backoff: false, waitForBackend: 'if-configured', outage: false, hung: false });
});
