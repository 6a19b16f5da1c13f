// killTree against real process trees (Linux /proc): after it resolves, nothing of the tree is alive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import treeKill from 'tree-kill';
import { killTree, type KillTreeOptions, type KillTreeResult } from '../../src/process/kill-tree.js';
import { isSameProcess, procAvailable, readProcInfo } from '../../src/process/proc-stat.js';
import { markedPids, spawnTree, type SpawnedTree } from './spawn-tree.js';

const skip = !procAvailable() && 'needs Linux /proc';

/** Spawns the fixture, runs `body`, and always cleans up whatever is left. */
async function withTree(fixture: string, args: string[], body: (tree: SpawnedTree) => Promise<void>): Promise<void> {
  const tree = await spawnTree(fixture, args);
  try {
    await body(tree);
  } finally {
    await tree.cleanup();
  }
}

/** Kills the tree and checks, right when the promise resolves, that none of it is alive. */
async function killAndCheck(tree: SpawnedTree, opts: Partial<KillTreeOptions> = {}) {
  const batches: Array<[number[], NodeJS.Signals]> = [];
  const root = { pid: tree.pids[0]!, startTime: tree.startTimes.get(tree.pids[0]!) };
  const result: KillTreeResult = await killTree(root, {
    signal: 'SIGTERM', timeout: 10_000, marker: tree.marker, ...opts,
    onSignal: (pids, signal) => batches.push([pids, signal]),
  });
  const alive = tree.pids.filter((pid) => isSameProcess(pid, tree.startTimes.get(pid)!));
  assert.deepEqual(alive, [], 'a process of the tree is still alive');
  assert.deepEqual(markedPids(tree.marker), [], 'a process carrying the marker is still alive');
  assert.deepEqual(result.survivors, []);
  for (const pid of tree.pids) assert.ok(result.pids.includes(pid), `pid ${pid} was not signalled`);
  return { result, batches };
}

test('a bot that obeys SIGTERM goes down without SIGKILL', { skip }, () =>
  withTree('obey-term.mjs', [], async (tree) => {
    const { result, batches } = await killAndCheck(tree);
    assert.equal(result.forced, false);
    assert.deepEqual(batches, [[tree.pids, 'SIGTERM']]);
  }));

test('a bot that ignores SIGTERM gets SIGKILL after the timeout', { skip }, () =>
  withTree('ignore-term.mjs', [], async (tree) => {
    const { result, batches } = await killAndCheck(tree, { timeout: 300 });
    assert.equal(result.forced, true);
    assert.deepEqual(batches.map(([, signal]) => signal), ['SIGTERM', 'SIGKILL']);
  }));

test('a hung bot (busy loop, handler never runs) gets SIGKILL after the timeout', { skip }, () =>
  withTree('hang.mjs', [], async (tree) => {
    const { result } = await killAndCheck(tree, { timeout: 300 });
    assert.equal(result.forced, true);
  }));

test('grandchildren that escaped the group (setsid, double-forked daemon) go down with the bot', { skip }, () =>
  withTree('grandchildren.mjs', [], async (tree) => {
    const [root, plain, setsid, daemon] = tree.pids.map((pid) => readProcInfo(pid)!);
    assert.ok(root && plain && setsid && daemon);
    // The fixture really escapes: only the marker links the daemon to the bot.
    assert.equal(plain.pgid, root.pid);
    assert.equal(setsid.sid, setsid.pid);
    assert.equal(daemon.sid, daemon.pid);
    assert.notEqual(daemon.ppid, root.pid);
    const { result, batches } = await killAndCheck(tree);
    assert.equal(result.forced, false);
    assert.deepEqual(batches.length, 1);
    assert.deepEqual([...batches[0]![0]].sort(), [...tree.pids].sort());
  }));

test('tree-kill alone (the fallback) misses the double-forked daemon', { skip }, () =>
  withTree('grandchildren.mjs', [], async (tree) => {
    const [root, , , daemon] = tree.pids;
    await new Promise<void>((resolve) => treeKill(root!, 'SIGTERM', () => resolve()));
    assert.equal(isSameProcess(daemon!, tree.startTimes.get(daemon!)!), true);
  }));

test('a tree of 20 processes goes down with one batch', { skip }, () =>
  withTree('fan-out.sh', ['20'], async (tree) => {
    assert.equal(tree.pids.length, 20);
    const { result, batches } = await killAndCheck(tree);
    assert.equal(result.forced, false);
    assert.equal(batches.length, 1);
  }));

test('a stopped (SIGSTOP) tree goes down on SIGTERM, without waiting for SIGKILL', { skip }, () =>
  withTree('self-stop.sh', [], async (tree) => {
    // Wait until both processes are stopped (the fixture stops itself after "ready").
    while (!tree.pids.every((pid) => readProcInfo(pid)?.state === 'T')) await delay(5);
    const { result } = await killAndCheck(tree, { timeout: 30_000 });
    assert.equal(result.forced, false);
  }));

test('a bot forking continuously: late forks are signalled, nothing is left', { skip }, () =>
  withTree('forker.mjs', [], async (tree) => {
    const { result, batches } = await killAndCheck(tree, { timeout: 500 });
    assert.equal(result.forced, true);
    const stops = batches.filter(([, signal]) => signal === 'SIGTERM');
    assert.ok(stops.length >= 2, `newcomers were signalled: ${stops.length} SIGTERM batches`);
    assert.ok(result.pids.length > tree.pids.length);
  }));
