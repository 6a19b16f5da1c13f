import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSameProcess, processStartTime } from '../../src/process/proc-stat.js';
import { fixture, runWatchdog, type WatchdogRun } from '../helpers/watchdog-process.js';
import { requireTools } from '../helpers/require-tool.js';

function config(command: string[], extra: Record<string, unknown> = {}): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'bw-tree-'));
  const file = join(dir, 'watchdog.config.json');
  writeFileSync(file, JSON.stringify({ command, log: { format: 'json' }, restart: { initialDelay: '50ms', jitter: 0 }, stop: { timeout: '2s' }, ...extra }));
  return ['run', '--config', file];
}

/** Waits for the n-th "ready <pids>" line on stdout and records each pid's start time. */
async function readyTree(run: WatchdogRun, nth = 1): Promise<Map<number, number>> {
  await run.waitForStdout(new RegExp(`(^ready [\\d ]+\\n[\\s\\S]*){${nth}}`, 'm'));
  const line = run.stdout().split('\n').filter((l) => l.startsWith('ready '))[nth - 1] as string;
  const tree = new Map<number, number>();
  for (const pid of line.slice(6).trim().split(/\s+/).map(Number)) {
    const start = processStartTime(pid);
    assert.ok(start !== undefined, `pid ${pid} of the tree already gone`);
    tree.set(pid, start);
  }
  return tree;
}

function survivors(tree: Map<number, number>): number[] {
  return [...tree].filter(([pid, start]) => isSameProcess(pid, start)).map(([pid]) => pid);
}

test('a stop leaves no process of the tree: plain, setsid\'d and double-forked grandchildren', async () => {
  const run = runWatchdog(config([process.execPath, fixture('trees/grandchildren.mjs')]));
  const tree = await readyTree(run);
  assert.equal(tree.size, 4);
  run.kill('SIGTERM');
  await run.exited;
  assert.deepEqual(survivors(tree), []);
});

test('a restart (SIGHUP) takes the old tree down before the new bot starts', async () => {
  const run = runWatchdog(config([process.execPath, fixture('trees/grandchildren.mjs')]));
  const first = await readyTree(run, 1);
  run.kill('SIGHUP');
  await readyTree(run, 2);
  assert.deepEqual(survivors(first), [], 'old grandchildren would hold ports and sessions');
  run.kill('SIGTERM');
  await run.exited;
});

test('a helper left behind by a bot that exited on its own is stopped too', async () => {
  const run = runWatchdog(config([process.execPath, fixture('bots/leave-daemon.mjs')], { restart: { policy: 'never' } }));
  const tree = await readyTree(run);
  assert.equal((await run.exited).code, 1);
  assert.deepEqual(survivors(tree), []);
  assert.ok(run.logs().some((r) => r.event === 'child.kill'));
});

test('the bot\'s exit is seen at once even while its helper holds the output pipe, and the helper is stopped', async () => {
  const run = runWatchdog(config([process.execPath, fixture('bots/helper-holds-pipe.mjs')], { restart: { policy: 'never' } }));
  const tree = await readyTree(run);
  assert.equal((await run.exited).code, 1);
  const exit = run.logs().find((r) => r.event === 'child.exit');
  assert.ok((exit?.uptimeMs as number) < 10_000, `exit seen after ${String(exit?.uptimeMs)}ms`);
  assert.deepEqual(survivors(tree), []);
});

test('a frozen (SIGSTOP) bot still goes down promptly on SIGTERM', async () => {
  const run = runWatchdog(config([process.execPath, fixture('bots/healthy.mjs')], { stop: { timeout: '1h' } }));
  const spawn = await run.waitForEvent('child.spawn');
  await run.waitForStdout(/healthy: ready/);
  process.kill(spawn.pid as number, 'SIGSTOP');
  run.kill('SIGTERM');
  assert.equal((await run.exited).code, 0, 'SIGCONT after SIGTERM lets its handler run');
});

// The tools first (a missing one is a failure under CI=true), then the capability (root or CAP_SYS_ADMIN).
const needs = requireTools([['unshare', 'util-linux'], ['ps', 'procps']]);
const canUnshare = !needs && spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true']).status === 0;

test(
  'as PID 1 (a container): one warning about orphans, and SIGTERM still stops the bot with its status',
  { skip: needs || (canUnshare ? false : 'needs unshare --pid (root or CAP_SYS_ADMIN) to run the watchdog as PID 1') },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bw-pid1-'));
    const file = join(dir, 'watchdog.config.json');
    writeFileSync(file, JSON.stringify({ command: [process.execPath, fixture('bots/healthy.mjs')], log: { format: 'json' } }));
    const run = runWatchdog(['run', '--config', file], { launcher: ['unshare', '--pid', '--fork', '--mount-proc'] });
    const warning = await run.waitForEvent('watchdog.pid1');
    assert.equal(warning.pid, 1);
    await run.waitForStdout(/healthy: ready/);
    // unshare does not forward signals: signal the watchdog (PID 1 inside) by its pid outside.
    const watchdogPid = childOf(run.pid);
    process.kill(watchdogPid, 'SIGTERM');
    assert.equal((await run.exited).code, 0);
    assert.match(run.stdout(), /healthy: got SIGTERM/);
    assert.equal(run.logs().filter((r) => r.event === 'watchdog.pid1').length, 1);
  },
);

function childOf(pid: number): number {
  const out = spawnSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).stdout.trim();
  const child = Number(out.split(/\s+/)[0]);
  assert.ok(child > 0, `no child of ${pid}`);
  return child;
}
