import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newTreeMarker } from '../../src/process/kill-tree.js';
import { recoverOrphan } from '../../src/state/orphan-recovery.js';
import { bootId, identityOf } from '../../src/state/identity.js';
import { isSameProcess, procAvailable } from '../../src/process/proc-stat.js';
import { memoryLogger } from '../helpers/log-sink.js';
import { markedPids, spawnTree, type SpawnedTree } from '../process/spawn-tree.js';
import { sampleState } from './sample-state.js';
import type { StateFile } from '../../src/state/state-file.js';

const skip = !procAvailable() && 'needs Linux /proc';

/** A state file as a watchdog that was SIGKILLed while `tree` was its bot would have left it. */
function stateOf(tree: SpawnedTree, watchdog = { pid: 999_999, startTime: 1 }): StateFile {
  const root = tree.pids[0]!;
  return sampleState({
    watchdog: { ...sampleState().watchdog, ...watchdog, bootId: bootId()! },
    bot: { ...sampleState().bot!, pid: root, startTime: tree.startTimes.get(root)!, bootId: bootId()!, marker: tree.marker },
  });
}

async function withTree(fixture: string, body: (tree: SpawnedTree) => Promise<void>): Promise<void> {
  const tree = await spawnTree(fixture);
  try {
    await body(tree);
  } finally {
    await tree.cleanup();
  }
}

const alive = (tree: SpawnedTree) => tree.pids.filter((pid) => isSameProcess(pid, tree.startTimes.get(pid)!));

test('an orphaned bot tree (setsid\'d and double-forked helpers too) is found and stopped', { skip }, () =>
  withTree('grandchildren.mjs', async (tree) => {
    const log = memoryLogger();
    const outcome = await recoverOrphan(stateOf(tree), { stop: { signal: 'SIGTERM', timeout: 5000 }, logger: log.logger });
    assert.equal(outcome.kind, 'stopped');
    assert.deepEqual(alive(tree), []);
    assert.deepEqual(markedPids(tree.marker), []);
    const found = log.events('orphan.found');
    assert.equal(found.length, 1);
    assert.equal(found[0]?.pid, tree.pids[0]);
    assert.equal(found[0]?.rootAlive, true);
    assert.deepEqual(log.events('child.kill')[0]?.signal, 'SIGTERM');
    assert.equal(log.events('orphan.stopped').length, 1);
  }));

test('a watchdog killed between the spawn and the write of its bot: the tree is found by the marker written before the spawn', { skip }, () =>
  withTree('grandchildren.mjs', async (tree) => {
    const log = memoryLogger();
    const state = { ...stateOf(tree), bot: null, spawning: { marker: tree.marker, at: '2026-01-01T00:00:00.000Z' } };
    const outcome = await recoverOrphan(state, { stop: { signal: 'SIGTERM', timeout: 5000 }, logger: log.logger });
    assert.equal(outcome.kind, 'stopped');
    assert.equal(log.events('orphan.found')[0]?.pid, tree.pids[0], 'the oldest marked process is the bot');
    assert.deepEqual(alive(tree), []);
    assert.deepEqual(markedPids(tree.marker), []);
  }));

test('a spawning record whose marker no process carries is nothing to stop', { skip }, async () => {
  const log = memoryLogger();
  const base = sampleState({ watchdog: { ...sampleState().watchdog, pid: 999_999, startTime: 1, bootId: bootId()! } });
  const state = { ...base, bot: null, spawning: { marker: { name: 'BOT_WATCHDOG_TREE', value: 'nobody-has-this' }, at: base.updatedAt } };
  assert.deepEqual(await recoverOrphan(state, { stop: { signal: 'SIGTERM', timeout: 1000 }, logger: log.logger }), { kind: 'none' });
});

test('helpers left by a root that already exited are still found through the marker', { skip }, () =>
  withTree('grandchildren.mjs', async (tree) => {
    const root = tree.pids[0]!;
    process.kill(root, 'SIGKILL');
    await new Promise((resolve) => tree.child.once('exit', resolve));
    const log = memoryLogger();
    const outcome = await recoverOrphan(stateOf(tree), { stop: { signal: 'SIGTERM', timeout: 5000 }, logger: log.logger });
    assert.equal(outcome.kind, 'stopped');
    assert.equal(log.events('orphan.found')[0]?.rootAlive, false);
    assert.deepEqual(alive(tree), []);
  }));

test('a recorded bot whose start time does not match (a reused pid) is left alone', { skip }, () =>
  withTree('obey-term.mjs', async (tree) => {
    const state = stateOf(tree);
    state.bot = { ...state.bot!, startTime: state.bot!.startTime! - 1, marker: newTreeMarker() };
    const log = memoryLogger();
    assert.deepEqual(await recoverOrphan(state, { stop: { signal: 'SIGTERM', timeout: 5000 }, logger: log.logger }), { kind: 'none' });
    assert.deepEqual(alive(tree), tree.pids);
    assert.equal(log.events('orphan.found').length, 0);
  }));

test('a state file from another boot names nothing alive now', { skip }, () =>
  withTree('obey-term.mjs', async (tree) => {
    const state = stateOf(tree);
    state.bot = { ...state.bot!, bootId: 'another-boot' };
    const log = memoryLogger();
    assert.deepEqual(await recoverOrphan(state, { stop: { signal: 'SIGTERM', timeout: 5000 }, logger: log.logger }), { kind: 'none' });
    assert.deepEqual(alive(tree), tree.pids);
  }));

test('the bot of a watchdog that is still alive is not an orphan', { skip }, () =>
  withTree('obey-term.mjs', async (tree) => {
    const me = identityOf(process.pid);
    // A live watchdog other than the caller: our parent (the test runner) stands in for it.
    const parent = identityOf(process.ppid);
    assert.notEqual(parent.pid, me.pid);
    const state = stateOf(tree, { pid: parent.pid, startTime: parent.startTime! });
    const log = memoryLogger();
    const outcome = await recoverOrphan(state, { stop: { signal: 'SIGTERM', timeout: 5000 }, logger: log.logger });
    assert.deepEqual(outcome, { kind: 'watchdog-alive', pid: parent.pid });
    assert.deepEqual(alive(tree), tree.pids);
  }));

test('no bot in the state: nothing to do', async () => {
  const log = memoryLogger();
  assert.deepEqual(await recoverOrphan(sampleState({ bot: null }), { stop: { signal: 'SIGTERM', timeout: 10 }, logger: log.logger }), { kind: 'none' });
  assert.deepEqual(await recoverOrphan(undefined, { stop: { signal: 'SIGTERM', timeout: 10 }, logger: log.logger }), { kind: 'none' });
});
