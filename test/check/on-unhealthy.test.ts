import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACTION_OUTPUT_LIMIT, runAction } from '../../src/check/on-unhealthy.js';
import { isSameProcess, processStartTime } from '../../src/process/proc-stat.js';
import { waitUntil } from '../helpers/wait.js';

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone
  }
}

test('the command runs through /bin/sh -c; its exit code, stdout and stderr are reported', async () => {
  const result = await runAction('echo "to out"; echo "to err" >&2; exit 7', { timeoutMs: 30_000, env: { ...process.env } });
  assert.equal(result.exitCode, 7);
  assert.equal(result.signal, null);
  assert.equal(result.timedOut, false);
  assert.equal(result.output, 'to out\nto err\n');
  assert.equal(result.truncated, false);
  assert.equal(typeof result.durationMs, 'number');
});

test('output is bounded to its last 4 KiB', async () => {
  const result = await runAction("head -c 100000 /dev/zero | tr '\\0' x; echo; echo END", { timeoutMs: 30_000 });
  assert.equal(result.exitCode, 0);
  assert.equal(result.truncated, true);
  assert.ok(result.output.length <= ACTION_OUTPUT_LIMIT);
  assert.match(result.output, /x\nEND\n$/);
});

test('an action over its time limit is killed with its whole process group', async () => {
  let sleeper = 0;
  try {
    const result = await runAction('sleep 1000 & echo $!; wait', { timeoutMs: 300 });
    sleeper = Number(result.output.trim());
    assert.equal(result.timedOut, true);
    assert.equal(result.signal, 'SIGTERM');
    assert.ok(sleeper > 0);
    await waitUntil(() => processStartTime(sleeper) === undefined || !isSameProcess(sleeper, processStartTime(sleeper)!), 5000);
  } finally {
    if (sleeper) killQuietly(sleeper);
  }
});

test('a process the action leaves running in the background (holding its pipes) is not waited for', async () => {
  let daemon = 0;
  try {
    const result = await runAction('sleep 1000 & echo $!', { timeoutMs: 30_000 });
    daemon = Number(result.output.trim());
    assert.equal(result.exitCode, 0);
    assert.equal(result.timedOut, false);
    assert.ok(result.durationMs < 20_000);
    assert.ok(processStartTime(daemon) !== undefined, 'the background process lives on');
  } finally {
    if (daemon) killQuietly(daemon);
  }
});

test('a shell that cannot be started is reported, not thrown', async () => {
  const result = await runAction('true', { timeoutMs: 1000, shell: '/nonexistent/sh' });
  assert.match(result.error ?? '', /ENOENT/);
  assert.equal(result.exitCode, null);
});

test('an action that leaves a background child holding its output pipe (napcat-start & echo ok) is reported when the shell exits', async () => {
  let daemon = 0;
  try {
    const result = await runAction('sleep 1000 & echo $!; echo ok', { timeoutMs: 30_000 });
    daemon = Number(result.output.split('\n')[0]);
    assert.deepEqual([result.exitCode, result.timedOut, result.output.split('\n')[1]], [0, false, 'ok']);
    assert.ok(result.durationMs < 20_000);
  } finally {
    if (daemon) killQuietly(daemon);
  }
});

test('an environment value with a NUL byte (a reason quoting the bot\'s output) does not stop the action', async () => {
  const result = await runAction('printf %s "$BOT_WATCHDOG_CHECK_REASON"', { timeoutMs: 30_000, env: { ...process.env, BOT_WATCHDOG_CHECK_REASON: 'output: a\0b' } });
  assert.deepEqual([result.exitCode, result.output, result.error], [0, 'output: ab', undefined]);
});
