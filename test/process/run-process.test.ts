// The one process runner on real processes: result fields, output tail, time limit with a group
// kill, cancel, a background child holding the output pipe, a command that cannot start, NUL in
// the environment, and the Windows kill path (platform injected).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runProcess, startProcess, withoutNul } from '../../src/process/run-process.js';
import { processStartTime } from '../../src/process/proc-stat.js';
import { waitUntil } from '../helpers/wait.js';

const node = process.execPath;

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone
  }
}

const gone = (pid: number) => processStartTime(pid) === undefined;

test('exit code, signal, duration and the interleaved tail of stdout and stderr', async () => {
  const result = await runProcess({ command: [node, '-e', "process.stdout.write('a'.repeat(10000)); process.stderr.write('END'); process.exit(3)"], tailBytes: 100 });
  assert.equal(result.exitCode, 3);
  assert.equal(result.signal, null);
  assert.equal(result.timedOut, false);
  assert.equal(result.canceled, false);
  assert.equal(result.outputTail.length, 100);
  assert.ok(result.outputTail.endsWith('aaaEND'));
  assert.equal(result.truncated, true);
  assert.equal(result.error, undefined);
  assert.equal(typeof result.durationMs, 'number');
});

test('input is written to stdin and stdin is closed', async () => {
  const result = await runProcess({
    command: [node, '-e', "let s=''; process.stdin.on('data', (d) => s += d); process.stdin.on('end', () => process.stdout.write('got ' + s))"],
    input: 'hello\n',
  });
  assert.deepEqual([result.exitCode, result.outputTail], [0, 'got hello\n']);
});

test('a command that leaves a background child holding its output pipe is reported when its own process exits', async () => {
  let daemon = 0;
  try {
    const result = await runProcess({ command: ['sh', '-c', 'sleep 1000 & echo $!; echo ok'], timeoutMs: 30_000 });
    daemon = Number(result.outputTail.split('\n')[0]);
    assert.deepEqual([result.exitCode, result.timedOut, result.outputTail.split('\n')[1]], [0, false, 'ok']);
    assert.ok(result.durationMs < 20_000, `took ${result.durationMs}ms`);
    assert.ok(daemon > 0 && !gone(daemon), 'the background child lives on: it is not the command');
  } finally {
    if (daemon) killQuietly(daemon);
  }
});

test('at the time limit the whole group gets killSignal, then SIGKILL; what is left goes once the command exits', async () => {
  let sleeper = 0;
  const result = await runProcess({
    command: ['sh', '-c', "trap '' TERM; sleep 1000 & echo $!; wait"],
    timeoutMs: 300,
    killGraceMs: 300,
  });
  sleeper = Number(result.outputTail.trim());
  try {
    assert.equal(result.timedOut, true);
    assert.equal(result.signal, 'SIGKILL', 'the shell ignores SIGTERM: SIGKILL after the grace');
    assert.ok(sleeper > 0);
    await waitUntil(() => gone(sleeper), 5000);
  } finally {
    if (sleeper) killQuietly(sleeper);
  }
});

test('a cancel signal kills the command and its group at once', async () => {
  const abort = new AbortController();
  const child = runProcess({ command: ['sh', '-c', 'sleep 1000 & echo $!; wait'], signal: abort.signal });
  setTimeout(() => abort.abort(), 200);
  const result = await child;
  const sleeper = Number(result.outputTail.trim());
  try {
    assert.deepEqual([result.canceled, result.timedOut, result.signal], [true, false, 'SIGKILL']);
    await waitUntil(() => gone(sleeper), 5000);
  } finally {
    if (sleeper) killQuietly(sleeper);
  }
});

test('a command that cannot start is a result with `error`, never a throw', async () => {
  const missing = await runProcess({ command: ['no-such-command-bw-test'] });
  assert.deepEqual([missing.exitCode, missing.error?.code, missing.timedOut], [null, 'ENOENT', false]);
  const empty = await runProcess({ command: [] });
  assert.equal(empty.error?.message, 'empty command');
  const nul = await runProcess({ command: [node, '-e', '0', 'a\0b'] });
  assert.match(nul.error?.message ?? '', /null bytes/);
});

test('a NUL byte in an environment value is dropped, never the reason a command fails', async () => {
  const result = await runProcess({ command: [node, '-e', 'process.stdout.write(process.env.BW_LINE)'], env: { ...process.env, BW_LINE: 'a\0b' } });
  assert.deepEqual([result.exitCode, result.outputTail], [0, 'ab']);
  assert.deepEqual(withoutNul({ A: 'x\0y', 'B\0': 'z', C: undefined }), { A: 'xy' });
});

test('Windows (platform injected): the time limit kills the tree with taskkill, no process group, no SIGCONT', async () => {
  const taskkills: number[] = [];
  const sent: unknown[] = [];
  const realKill = process.kill;
  // Spy on group signals: on Windows there are none.
  process.kill = ((pid: number, signal?: string | number) => {
    if (pid < 0) sent.push([pid, signal]);
    return realKill.call(process, pid, signal);
  }) as typeof process.kill;
  try {
    const result = await runProcess({
      command: [node, '-e', 'setInterval(() => {}, 1000)'],
      timeoutMs: 200,
      platform: 'win32',
      killTreeWindows: async (pid) => {
        taskkills.push(pid);
        killQuietly(pid); // what taskkill /T /F would do
      },
    });
    assert.equal(result.timedOut, true);
    assert.equal(taskkills.length, 1);
    assert.deepEqual(sent, []);
  } finally {
    process.kill = realKill;
  }
});

test('startProcess: on Windows no new process group (no detached), on POSIX its own group', async () => {
  const posix = startProcess({ command: [node, '-e', 'setTimeout(() => {}, 5000)'], stdin: 'ignore', platform: 'linux' });
  const windows = startProcess({ command: [node, '-e', 'setTimeout(() => {}, 5000)'], stdin: 'ignore', platform: 'win32' });
  try {
    const pgid = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[2]);
    assert.equal(pgid(posix.pid!), posix.pid);
    assert.equal(pgid(windows.pid!), pgid(process.pid));
  } finally {
    killQuietly(posix.pid!);
    killQuietly(windows.pid!);
  }
  await Promise.all([posix.exited, windows.exited]);
});
