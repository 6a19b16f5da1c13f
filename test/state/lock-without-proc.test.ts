// Issue 17.13: a stale lock must never block a start because its pid was reused. Where there is no
// /proc (Windows, Wine: pids are reused at once) a live pid is only 'unknown'; the platform is
// injected here (our pid, no start time, a liveness that cannot tell), and time is virtual.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireInstanceLock, LEASE_MS, readLockOwner, type LockDeps } from '../../src/state/instance-lock.js';
import { FakeClock } from '../helpers/fake-clock.js';

/** Virtual time that moves by itself when the code under test sleeps (timers due meanwhile fire). */
class SleepingClock extends FakeClock {
  override sleep(ms: number, signal?: AbortSignal): Promise<void> {
    const slept = super.sleep(ms, signal);
    void this.advance(ms);
    return slept;
  }
  slept(): number {
    return this.sleeps.reduce((a, b) => a + b, 0);
  }
}

const lockPath = () => join(mkdtempSync(join(tmpdir(), 'bw-lock-noproc-')), 'state.json.lock');

/** A process without /proc: its identity is its pid alone, and any live pid is 'unknown'. */
function noProc(pid: number, clock: SleepingClock): LockDeps {
  return { pid, identity: { pid, startedAt: '2026-12-07T00:00:00.000Z' }, liveness: () => 'unknown', clock };
}

test("a lock naming our own pid that we do not hold is a predecessor's (Wine gave us its pid): taken at once", async () => {
  const path = lockPath();
  writeFileSync(path, `${JSON.stringify({ pid: 32, startedAt: '2026-12-06T23:00:00.000Z' })}\n`);
  const clock = new SleepingClock();
  const attempt = await acquireInstanceLock(path, noProc(32, clock));
  assert.equal(attempt.acquired, true, 'not "another bot-watchdog (pid 32)": that is us');
  assert.equal(attempt.acquired && attempt.replaced?.pid, 32);
  assert.equal(clock.slept(), 0, 'no lease to wait for');
  assert.ok(readLockOwner(path)?.nonce, 'the new lock carries its nonce');
  if (attempt.acquired) attempt.lock.release();
});

test('the same, with a nonce written by the predecessor', async () => {
  const path = lockPath();
  writeFileSync(path, `${JSON.stringify({ pid: 32, nonce: 'a-predecessor' })}\n`);
  const attempt = await acquireInstanceLock(path, noProc(32, new SleepingClock()));
  assert.equal(attempt.acquired, true);
  if (attempt.acquired) attempt.lock.release();
});

test('a lock this process holds still keeps a second taker out, whatever the pid', async () => {
  const path = lockPath();
  const clock = new SleepingClock();
  const first = await acquireInstanceLock(path, { ...noProc(32, clock), renewEveryMs: 1000 });
  assert.ok(first.acquired);
  const second = await acquireInstanceLock(path, noProc(32, clock));
  assert.equal(second.acquired, false);
  assert.equal(!second.acquired && second.liveness, 'unknown');
  first.lock.release();
});

test('no /proc: a live pid whose lock is renewed is a live watchdog (refused within a renewal); one never renewed is stale after the lease', async () => {
  const path = lockPath();
  const clock = new SleepingClock();
  const holder = await acquireInstanceLock(path, { ...noProc(77, clock), renewEveryMs: 5000 });
  assert.ok(holder.acquired);
  const before = clock.slept();
  const refused = await acquireInstanceLock(path, noProc(78, clock));
  assert.equal(refused.acquired, false);
  assert.equal(!refused.acquired && refused.owner.pid, 77);
  assert.ok(clock.slept() - before <= 5000, `saw the renewal after ${clock.slept() - before}ms`);

  // The holder dies (SIGKILL: no release, no renewal) and its pid goes to some other process.
  const stale = readFileSync(path, 'utf8');
  holder.lock.release();
  writeFileSync(path, stale);
  const started = clock.slept();
  const taken = await acquireInstanceLock(path, noProc(78, clock));
  assert.equal(taken.acquired, true, 'a reused pid does not keep the lock');
  assert.equal(taken.acquired && taken.replaced?.pid, 77);
  const waited = clock.slept() - started;
  assert.ok(waited >= LEASE_MS - 500 && waited <= LEASE_MS + 500, `waited ${waited}ms, the lease`);
  if (taken.acquired) taken.lock.release();
});
