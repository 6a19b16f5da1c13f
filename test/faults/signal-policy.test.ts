// Fault matrix (issue 17.1): every signal a supervisor can receive has a decided behaviour. The real
// CLI gets each one while a bot runs; ignored ones are logged and change nothing, none opens Node's
// inspector, the stop-like ones stop the tree as SIGTERM does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { fixture } from '../helpers/watchdog-process.js';
import { events, node, noStackTrace, startWatchdog } from './fault-helpers.js';
import { waitUntil } from '../helpers/wait.js';
import { installSignalPolicy, SIGNAL_POLICY, type SignalHandlers } from '../../src/commands/signal-policy.js';
import { EventEmitter } from 'node:events';
import { alive } from '../helpers/alive.js';

const IGNORED = Object.entries(SIGNAL_POLICY)
  .filter(([, action]) => action === 'ignore')
  .map(([signal]) => signal as NodeJS.Signals);

/** Whether `pid` catches (SigCgt) or ignores (SigIgn) `signal`, from /proc/<pid>/status. */
function disposition(pid: number, signal: NodeJS.Signals): 'caught' | 'ignored' | 'default' {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const bit = 1n << BigInt(osConstants.signals[signal] - 1);
  const mask = (name: string) => BigInt(`0x${new RegExp(`^${name}:\\s*([0-9a-f]+)$`, 'm').exec(status)?.[1] ?? '0'}`);
  if (mask('SigCgt') & bit) return 'caught';
  if (mask('SigIgn') & bit) return 'ignored';
  return 'default';
}

function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/** Whether anything accepts a connection on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

test('ignored signals (SIGUSR1, SIGUSR2, SIGALRM, SIGPROF, SIGTRAP, …) are logged once each; the watchdog and the bot live on, and no inspector opens', async (t) => {
  const inspectorBefore = await listening(9229);
  const run = startWatchdog(t, { command: [node, fixture('bots/healthy.mjs')] });
  const spawn = await run.waitForEvent('child.spawn', () => true, 30_000);
  const bot = spawn.pid as number;
  await run.waitForStdout(/healthy: ready/, 30_000);
  // All at once (each is pending once at most, so each arrives), then each is waited for.
  for (const signal of IGNORED) run.kill(signal);
  for (const signal of IGNORED) await run.waitForEvent('watchdog.signal', (r) => r.signal === signal, 20_000);
  // Each again: within the minute no second line (a signal storm costs no log flood); checked
  // after the exit below, when every signal sent before SIGTERM has been handled.
  for (const signal of IGNORED) run.kill(signal);
  assert.ok(alive(run.pid), 'the watchdog lives');
  assert.ok(alive(bot), 'the bot lives');
  assert.equal(events(run, 'child.spawn').length, 1, 'the bot was not restarted');
  assert.doesNotMatch(run.stderr(), /Debugger listening|inspector/i, 'Node did not open its inspector');
  if (!inspectorBefore) assert.equal(await listening(9229), false, 'nothing listens on 127.0.0.1:9229');
  run.kill('SIGTERM');
  assert.equal((await run.exited).code, 0);
  assert.equal(events(run, 'watchdog.signal').length, IGNORED.length, 'one line per signal in a minute');
  noStackTrace(run);
});

test('SIGTSTP (Ctrl-Z) does not suspend the watchdog; SIGTTOU keeps the default of job control (not caught), and SIGCONT resumes it', async (t) => {
  const run = startWatchdog(t, { command: [node, fixture('bots/healthy.mjs')] });
  await run.waitForStdout(/healthy: ready/, 30_000);
  run.kill('SIGTSTP');
  await run.waitForEvent('watchdog.signal', (r) => r.signal === 'SIGTSTP', 20_000);
  assert.notEqual(procState(run.pid), 'T');
  // SIGTTOU keeps the kernel's default (job control). Whether the kernel then stops the process
  // depends on how the test runner itself was started (a signal of job control sent to an orphaned
  // process group is discarded), so the disposition is what is asserted, and the stop where it happens.
  assert.equal(disposition(run.pid, 'SIGTTOU'), 'default');
  assert.equal(disposition(run.pid, 'SIGTSTP'), 'caught');
  run.kill('SIGTTOU');
  await new Promise((resolve) => setTimeout(resolve, 300));
  run.kill('SIGCONT');
  await waitUntil(() => procState(run.pid) !== 'T', 10_000);
  run.kill('SIGHUP');
  await run.waitForEvent('child.spawn', (r) => r.pid !== events(run, 'child.spawn')[0]?.pid, 30_000);
  await waitUntil(() => (run.stdout().match(/healthy: ready/g) ?? []).length === 2, 30_000);
  run.kill('SIGTERM');
  assert.equal((await run.exited).code, 0);
});

test('SIGXCPU, SIGPWR and SIGABRT stop the tree gracefully, as SIGTERM does', async (t) => {
  // Three watchdogs side by side: one signal each.
  await Promise.all(
    (['SIGXCPU', 'SIGPWR', 'SIGABRT'] as const).map(async (signal) => {
      const run = startWatchdog(t, { command: [node, fixture('bots/healthy.mjs')] });
      await run.waitForStdout(/healthy: ready/, 30_000);
      run.kill(signal);
      assert.deepEqual(await run.exited, { code: 0, signal: null }, signal);
      assert.equal(events(run, 'watchdog.shutdown')[0]?.signal, signal);
      assert.equal(events(run, 'child.kill')[0]?.signal, 'SIGTERM', `${signal}: the bot got stop.signal`);
      assert.match(run.stdout(), /healthy: got SIGTERM/);
      noStackTrace(run);
    }),
  );
});

test('the policy logs an ignored signal at most once a minute per signal, with the count since the last line', () => {
  const target = new EventEmitter();
  let now = 0;
  const seen: string[] = [];
  const handlers: SignalHandlers = {
    stop: (s) => seen.push(`stop ${s}`),
    restart: (s) => seen.push(`restart ${s}`),
    ignored: (s, count) => seen.push(`ignored ${s} ${count}`),
  };
  const remove = installSignalPolicy(target as never, handlers, () => now);
  target.emit('SIGUSR1', 'SIGUSR1');
  target.emit('SIGUSR1', 'SIGUSR1');
  target.emit('SIGUSR2', 'SIGUSR2');
  now = 59_999;
  target.emit('SIGUSR1', 'SIGUSR1');
  now = 60_000;
  target.emit('SIGUSR1', 'SIGUSR1');
  target.emit('SIGTERM', 'SIGTERM');
  target.emit('SIGHUP', 'SIGHUP');
  assert.deepEqual(seen, ['ignored SIGUSR1 1', 'ignored SIGUSR2 1', 'ignored SIGUSR1 3', 'stop SIGTERM', 'restart SIGHUP']);
  remove();
  assert.equal(target.listenerCount('SIGUSR1'), 0);
  assert.equal(target.listenerCount('SIGTERM'), 0);
});
