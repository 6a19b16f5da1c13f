import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { acquireInstanceLock, readLockOwner } from '../../src/state/instance-lock.js';
import { identityOf } from '../../src/state/identity.js';
import { procAvailable } from '../../src/process/proc-stat.js';
import { systemClock } from '../../src/clock/clock.js';

const skip = !procAvailable() && 'needs Linux /proc';
const tmp = () => mkdtempSync(join(tmpdir(), 'bw-lock-'));

/** The identity of a process that has exited: its pid is free (or reused), its start time past. */
async function deadIdentity() {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  const identity = identityOf(child.pid!);
  child.kill('SIGKILL');
  await once(child, 'exit');
  return identity;
}

test('a free lock is taken; a second taker sees the live owner; release frees it', { skip }, async () => {
  const path = join(tmp(), 'state.json.lock');
  const first = await acquireInstanceLock(path, { clock: systemClock });
  assert.equal(first.acquired, true);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  const second = await acquireInstanceLock(path, { clock: systemClock });
  assert.equal(second.acquired, false);
  assert.equal(!second.acquired && second.owner.pid, process.pid);
  assert.equal(!second.acquired && second.liveness, 'alive');
  if (first.acquired) first.lock.release();
  assert.equal(existsSync(path), false);
  const third = await acquireInstanceLock(path, { clock: systemClock });
  assert.equal(third.acquired, true);
  if (third.acquired) third.lock.release();
  assert.deepEqual(readdirSync(join(path, '..')), [], 'no temp or claim files left');
});

test('the lock of a SIGKILLed owner (dead pid) is stale and taken over', { skip }, async () => {
  const path = join(tmp(), 'state.json.lock');
  const dead = await deadIdentity();
  writeFileSync(path, `${JSON.stringify(dead)}\n`);
  const attempt = await acquireInstanceLock(path, { clock: systemClock });
  assert.equal(attempt.acquired, true);
  assert.equal(attempt.acquired && attempt.replaced?.pid, dead.pid);
  assert.equal(readLockOwner(path)?.pid, process.pid);
});

test('a live pid with another start time (a reused pid) is not the owner', { skip }, async () => {
  const path = join(tmp(), 'state.json.lock');
  const me = identityOf(process.pid);
  writeFileSync(path, JSON.stringify({ ...me, startTime: (me.startTime ?? 0) + 1 }));
  assert.equal((await acquireInstanceLock(path, { clock: systemClock })).acquired, true);
});

test('a lock from another boot is stale even if the pid and start time match now', { skip }, async () => {
  const path = join(tmp(), 'state.json.lock');
  writeFileSync(path, JSON.stringify({ ...identityOf(process.pid), bootId: 'another-boot' }));
  assert.equal((await acquireInstanceLock(path, { clock: systemClock })).acquired, true);
});

test('a garbage lock file is stale', { skip }, async () => {
  const path = join(tmp(), 'state.json.lock');
  writeFileSync(path, 'garbage');
  assert.equal((await acquireInstanceLock(path, { clock: systemClock })).acquired, true);
});

test('release leaves a lock that is no longer ours alone', { skip }, async () => {
  const path = join(tmp(), 'state.json.lock');
  const attempt = await acquireInstanceLock(path, { clock: systemClock });
  assert.ok(attempt.acquired);
  const other = JSON.stringify({ pid: 1, startTime: 1 });
  writeFileSync(path, other);
  attempt.lock.release();
  assert.equal(readFileSync(path, 'utf8'), other);
});

const racer = fileURLToPath(new URL('./lock-racer.ts', import.meta.url));

test('racing for a stale lock: of 8 processes started at once, exactly one wins', { skip }, async () => {
  const path = join(tmp(), 'state.json.lock');
  writeFileSync(path, `${JSON.stringify(await deadIdentity())}\n`);
  const racers = Array.from({ length: 8 }, () =>
    spawn(process.execPath, ['--import', 'tsx', racer, path], { stdio: ['pipe', 'pipe', 'inherit'] }),
  );
  try {
    // Each racer loads, says "ready", and tries only once all are ready (stdin "go").
    const lines = racers.map((child) => createInterface({ input: child.stdout! })[Symbol.asyncIterator]());
    for (const line of lines) assert.equal((await line.next()).value, 'ready');
    for (const child of racers) child.stdin!.write('go\n');
    const outcomes: string[] = [];
    for (const line of lines) outcomes.push((await line.next()).value as string);
    assert.equal(outcomes.filter((o) => o === 'acquired').length, 1, outcomes.join(' '));
    assert.equal(outcomes.filter((o) => o.startsWith('held by ')).length, 7, outcomes.join(' '));
    const winner = racers[outcomes.indexOf('acquired')]!;
    assert.equal(readLockOwner(path)?.pid, winner.pid);
    for (const outcome of outcomes.filter((o) => o !== 'acquired')) assert.equal(outcome, `held by ${winner.pid}`);
  } finally {
    for (const child of racers) child.kill('SIGKILL');
    await Promise.all(racers.map((child) => (child.exitCode === null && child.signalCode === null ? once(child, 'exit') : undefined)));
  }
});
