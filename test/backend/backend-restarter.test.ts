// backend.restart: when the command runs, how often, when it gives up, on exact virtual time; and
// the process runner on real commands.
import { systemClock } from '../../src/clock/clock.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackendRestarter, type BackendRestarterOptions } from '../../src/backend/backend-restarter.js';
import { restartCommandRunner, type RestartCommandResult } from '../../src/backend/restart-command.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { waitFor, waitUntil } from '../helpers/wait.js';

const SEC = 1000;
const OK: RestartCommandResult = { exitCode: 0, signal: undefined, timedOut: false, durationMs: 5, output: 'napcat\n', truncated: false };

/** A restarter on virtual time whose runner answers at once (or when `hold` is released). */
function setup(options: Partial<BackendRestarterOptions> = {}) {
  const timers = new FakeClock(Date.UTC(2024, 4, 1));
  const runs: number[] = [];
  let hold: Promise<void> | undefined;
  const restarter = new BackendRestarter({
    command: ['docker', 'restart', 'napcat'],
    after: 60 * SEC,
    cooldown: 300 * SEC,
    clock: timers,
    run: async () => {
      runs.push(timers.now());
      await hold;
      return OK;
    },
    ...options,
  });
  const events: { type: string; at: number; data: unknown }[] = [];
  for (const type of ['run', 'result', 'giveup', 'reset'] as const) restarter.on(type, (data: unknown) => events.push({ type, at: timers.now(), data }));
  return {
    timers,
    runs,
    restarter,
    events,
    types: () => events.map((e) => `${e.type}@${e.at / SEC}`),
    holdRuns: () => {
      let release!: () => void;
      hold = new Promise((resolve) => (release = resolve));
      return () => {
        hold = undefined;
        release();
      };
    },
  };
}

/** Lets the runner's promise and the restarter's await settle. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

test('runs exactly `after` into an outage, not before', async () => {
  const s = setup();
  s.timers.advanceSync(10 * SEC);
  s.restarter.report('down');
  s.timers.advanceToSync(69_999);
  assert.deepEqual(s.runs, []);
  s.timers.advanceToSync(70 * SEC);
  await settle();
  assert.deepEqual(s.runs, [70 * SEC]);
  assert.deepEqual(s.types(), ['run@70', 'result@70']);
  assert.deepEqual(s.events[0]?.data, { attempt: 1, problem: 'down', unhealthyForMs: 60 * SEC, command: ['docker', 'restart', 'napcat'] });
  assert.deepEqual(s.events[1]?.data, { attempt: 1, problem: 'down', unhealthyForMs: 60 * SEC, command: ['docker', 'restart', 'napcat'], ...OK });
});

test('back before `after`: never runs', async () => {
  const s = setup();
  s.restarter.report('account-offline');
  s.timers.advanceSync(59 * SEC);
  s.restarter.report(undefined);
  s.timers.advanceSync(3600 * SEC);
  await settle();
  assert.deepEqual(s.runs, []);
  assert.equal(s.timers.pending(), 0);
});

test('still down: once per cooldown, then after 3 runs it gives up (a human must log in) instead of looping', async () => {
  const s = setup();
  s.restarter.report('account-offline');
  for (let i = 0; i < 20; i++) {
    s.timers.advanceSync(60 * SEC);
    await settle();
  }
  assert.deepEqual(s.runs, [60 * SEC, 360 * SEC, 660 * SEC]);
  assert.deepEqual(s.types(), ['run@60', 'result@60', 'run@360', 'result@360', 'run@660', 'result@660', 'giveup@960']);
  assert.deepEqual(s.events.at(-1)?.data, { attempts: 3, problem: 'account-offline', unhealthyForMs: 960 * SEC, command: ['docker', 'restart', 'napcat'] });
  assert.equal(s.restarter.snapshot().gaveUp, true);
  assert.equal(s.timers.pending(), 0, 'nothing left scheduled');
});

test('healthy for `after` again: the attempts start over (and the cooldown still holds)', async () => {
  const s = setup({ after: 10 * SEC, cooldown: 100 * SEC });
  s.restarter.report('down');
  s.timers.advanceSync(10 * SEC);
  await settle();
  s.timers.advanceSync(100 * SEC);
  await settle();
  assert.equal(s.restarter.snapshot().attempts, 2);
  s.restarter.report(undefined);
  s.timers.advanceSync(9 * SEC);
  s.restarter.report('down'); // a relapse within `after`: not reset
  s.restarter.report(undefined);
  assert.equal(s.restarter.snapshot().attempts, 2);
  s.timers.advanceSync(10 * SEC); // healthy for 10 s since the last report
  assert.deepEqual(s.events.at(-1), { type: 'reset', at: 129 * SEC, data: { attempts: 2 } });
  assert.equal(s.restarter.snapshot().attempts, 0);
  // A new outage: `after` from its start, but not within the cooldown of the last run (at 110).
  s.restarter.report('down');
  s.timers.advanceToSync(209_999);
  await settle();
  assert.deepEqual(s.runs, [10 * SEC, 110 * SEC]);
  s.timers.advanceToSync(210 * SEC);
  await settle();
  assert.deepEqual(s.runs, [10 * SEC, 110 * SEC, 210 * SEC]);
});

test('after a give-up, only a healthy spell of `after` allows runs again', async () => {
  const s = setup({ after: 10 * SEC, cooldown: 10 * SEC, maxAttempts: 1 });
  s.restarter.report('down');
  s.timers.advanceSync(10 * SEC);
  await settle();
  s.timers.advanceSync(10 * SEC);
  assert.deepEqual(s.types(), ['run@10', 'result@10', 'giveup@20']);
  s.restarter.report(undefined);
  s.timers.advanceSync(5 * SEC);
  s.restarter.report('down');
  s.timers.advanceSync(100 * SEC);
  await settle();
  assert.equal(s.runs.length, 1, 'still given up: the healthy spell was too short');
  s.restarter.report(undefined);
  s.timers.advanceSync(10 * SEC);
  s.restarter.report('down');
  s.timers.advanceSync(10 * SEC);
  await settle();
  assert.equal(s.runs.length, 2);
});

test('a switch from down to account-offline is the same outage: `after` counts from its start', async () => {
  const s = setup();
  s.restarter.report('down');
  s.timers.advanceSync(30 * SEC);
  s.restarter.report('account-offline');
  s.timers.advanceSync(30 * SEC);
  await settle();
  assert.deepEqual(s.runs, [60 * SEC]);
  assert.equal((s.events[0]?.data as { problem: string }).problem, 'account-offline');
});

test('a command that is still running is never started twice; the next run is a cooldown after its start', async () => {
  const s = setup({ after: 10 * SEC, cooldown: 20 * SEC });
  const release = s.holdRuns();
  s.restarter.report('down');
  s.timers.advanceSync(10 * SEC);
  s.timers.advanceSync(100 * SEC);
  await settle();
  assert.deepEqual(s.runs, [10 * SEC]);
  assert.equal(s.restarter.snapshot().running, true);
  release();
  await waitFor(s.restarter, 'result');
  assert.equal(s.restarter.snapshot().nextRunInMs, 0, 'overdue: due at once');
  s.timers.advanceSync(0);
  await settle();
  assert.deepEqual(s.runs, [10 * SEC, 110 * SEC]);
});

test('a runner that throws counts as a failed run with its message', async () => {
  const s = setup({
    run: async () => {
      throw new Error('spawn failed');
    },
  });
  s.restarter.report('down');
  const result = waitFor<{ error?: string; exitCode?: number }>(s.restarter, 'result');
  s.timers.advanceSync(60 * SEC);
  assert.deepEqual([(await result).error, (await result).exitCode], ['spawn failed', undefined]);
});

test('the restart command runner: exit code, the last bytes of a long output only, a time limit, a missing command', async () => {
  const chatty = await restartCommandRunner([process.execPath, '-e', "process.stdout.write('a'.repeat(10000)); process.stderr.write('END'); process.exit(3)"], { timeoutMs: 10_000, outputLimit: 100 });
  assert.equal(chatty.exitCode, 3);
  assert.equal(chatty.output.length, 100);
  assert.ok(chatty.output.endsWith('aaaEND'));
  assert.equal(chatty.truncated, true);
  assert.equal(chatty.error, undefined);

  const hung = await restartCommandRunner([process.execPath, '-e', 'setInterval(() => {}, 1000)'], { timeoutMs: 300, outputLimit: 100 });
  assert.equal(hung.timedOut, true);
  assert.equal(hung.signal, 'SIGTERM');
  assert.equal(hung.exitCode, undefined);

  const missing = await restartCommandRunner(['no-such-command-bw-test'], { timeoutMs: 1000, outputLimit: 100 });
  assert.equal(missing.error, 'no-such-command-bw-test: command not found');
  assert.equal(missing.exitCode, undefined);
});

test('a real command, on real time: the restarter runs it once the outage lasted `after`', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-restart-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const marker = join(dir, 'restarted');
  const restarter = new BackendRestarter({
    command: [process.execPath, '-e', "require('fs').writeFileSync(process.argv[1], 'restarted'); console.log('napcat restarted')", marker],
    after: 50,
    cooldown: 60_000,
    clock: systemClock,
  });
  t.after(() => restarter.stop());
  const result = waitFor<RestartCommandResult & { attempt: number }>(restarter, 'result');
  restarter.report('down');
  const done = await result;
  assert.deepEqual([done.exitCode, done.output, done.attempt], [0, 'napcat restarted\n', 1]);
  assert.equal(readFileSync(marker, 'utf8'), 'restarted');
});

test('a command that leaves a background child holding its output (napcat-start & echo ok) is reported when it exits, and retried', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-restart-bg-'));
  const pids = join(dir, 'daemons');
  const daemons = () => readFileSync(pids, 'utf8').trim().split('\n').map(Number);
  t.after(() => {
    for (const pid of daemons()) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const restarter = new BackendRestarter({ command: ['sh', '-c', `sleep 1000 & echo $! >> ${pids}; echo ok`], after: 10, cooldown: 50, timeoutMs: 30_000, clock: systemClock });
  t.after(() => restarter.stop());
  const results: Array<RestartCommandResult & { attempt: number }> = [];
  restarter.on('result', (result) => results.push(result));
  restarter.report('down');
  await waitUntil(() => results.length >= 2, 15_000);
  assert.deepEqual(results.map((r) => [r.attempt, r.exitCode, r.timedOut, r.output]), [[1, 0, false, 'ok\n'], [2, 0, false, 'ok\n']]);
  assert.ok(results.every((r) => r.durationMs < 10_000));
});
