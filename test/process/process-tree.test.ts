import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProcInfo } from '../../src/process/proc-stat.js';
import { findTree, type TreeMarker, type TreeRoot } from '../../src/process/process-tree.js';

const marker: TreeMarker = { name: 'BOT_WATCHDOG_TREE', value: 'abc' };
const SELF = 10; // the watchdog, child of a shell (5) under init (1)

/** [pid, ppid, pgid, sid, startTime, state?] */
type Row = [number, number, number, number, number, string?];

function table(rows: Row[]): Map<number, ProcInfo> {
  return new Map(rows.map(([pid, ppid, pgid, sid, startTime, state = 'S']) =>
    [pid, { pid, ppid, pgid, sid, state, startTime, comm: `p${pid}` }]));
}

const base: Row[] = [
  [1, 0, 1, 1, 0],
  [5, 1, 5, 5, 10],
  [SELF, 5, 5, 5, 20],
  [300, 1, 300, 300, 50], // unrelated, started before the bot
];

/** An environ reader over a fixed map that records which pids it was asked about. */
function environ(envs: Record<number, string>): { read: (pid: number) => string | undefined; asked: number[] } {
  const asked: number[] = [];
  return { asked, read: (pid) => (asked.push(pid), envs[pid]) };
}

const find = (rows: Row[], opts: Parameters<typeof findTree>[1] = {}, root: TreeRoot = { pid: 100 }): number[] =>
  findTree(root, { table: table([...base, ...rows]), selfPid: SELF, ...opts }).map((p) => p.pid).sort((a, b) => a - b);

test('follows ppid chains of any depth, and only below the root', () => {
  const rows: Row[] = [
    [100, SELF, 100, 100, 100],
    [101, 100, 100, 100, 101],
    [102, 101, 100, 100, 102],
    [103, 102, 100, 100, 103],
    [200, SELF, 200, 200, 105], // a sibling of the bot: another child of the watchdog
  ];
  assert.deepEqual(find(rows), [100, 101, 102, 103]);
});

test('includes the root group and session, even re-parented, and their descendants', () => {
  const rows: Row[] = [
    [100, SELF, 100, 100, 100],
    [110, 1, 100, 100, 101], // orphan still in the bot's group
    [111, 110, 111, 111, 102], // its child in a new session: found through its parent
    [120, 1, 120, 100, 103], // own group (setpgid), same session
  ];
  assert.deepEqual(find(rows), [100, 110, 111, 120]);
});

test('finds a double-forked daemon and its children only through the marker', () => {
  const rows: Row[] = [
    [100, SELF, 100, 100, 100],
    [130, 1, 130, 130, 104], // daemon: new session, re-parented to init
    [131, 130, 130, 130, 105],
    [140, 1, 140, 140, 106], // unrelated, started after the bot
  ];
  const env = environ({ 130: `A=1\0${marker.name}=${marker.value}\0B=2\0`, 140: 'A=1\0' });
  assert.deepEqual(find(rows, { readEnviron: env.read }), [100]);
  assert.deepEqual(find(rows, { marker, readEnviron: env.read }), [100, 130, 131]);
  // Environments are read only for processes not already in the tree that started after the
  // root (so not 1, 5, self, 300 or 100), and 131 came in with its parent.
  assert.deepEqual(env.asked.sort((a, b) => a - b), [130, 140]);
});

test('the marker must match NAME=value exactly; unreadable environments are skipped', () => {
  const rows: Row[] = [
    [100, SELF, 100, 100, 100],
    [150, 1, 150, 150, 101],
    [151, 1, 151, 151, 101],
    [152, 1, 152, 152, 101],
    [153, 1, 153, 153, 101],
    [154, 1, 154, 154, 101],
  ];
  const env = environ({
    150: `${marker.name}=${marker.value}d\0`,
    151: `X${marker.name}=${marker.value}\0`,
    152: `${marker.name}=\0`,
    154: `${marker.name}=${marker.value}`, // last entry without its NUL
  });
  assert.deepEqual(find(rows, { marker, readEnviron: env.read }), [100, 154]);
});

test('uses the root start time: older processes are never marker candidates', () => {
  const rows: Row[] = [
    [100, SELF, 100, 100, 100],
    [160, 1, 160, 160, 99],
  ];
  const env = environ({ 160: `${marker.name}=${marker.value}\0` });
  assert.deepEqual(find(rows, { marker, readEnviron: env.read }), [100]);
  assert.deepEqual(env.asked, []);
});

test('never includes the watchdog itself or its ancestors, nor goes through them', () => {
  // Worst case: the watchdog runs from a shell inside the bot's group, both with the marker.
  const t = table([
    [1, 0, 1, 1, 0],
    [100, 1, 100, 100, 100],
    [101, 100, 100, 100, 101],
    [5, 1, 100, 100, 102], // the shell
    [SELF, 5, 100, 100, 103],
    [11, SELF, 100, 100, 104], // a child of the watchdog in the bot's group: in
    [12, SELF, 12, 12, 105], // a child of the watchdog elsewhere: out
  ]);
  const env = environ({ 5: `${marker.name}=${marker.value}`, [SELF]: `${marker.name}=${marker.value}` });
  const pids = findTree({ pid: 100 }, { table: t, selfPid: SELF, marker, readEnviron: env.read }).map((p) => p.pid);
  assert.deepEqual(pids.sort((a, b) => a - b), [11, 100, 101]);
  // The bot as our ancestor (the watchdog started by the bot) is never part of the tree either.
  const ours = table([[1, 0, 1, 1, 0], [100, 1, 100, 100, 100], [SELF, 100, 100, 100, 101], [101, 100, 100, 100, 102]]);
  assert.deepEqual(findTree({ pid: 100 }, { table: ours, selfPid: SELF }).map((p) => p.pid), [101]);
});

test('zombies are gone: left out, but a zombie root still names its group and session', () => {
  const rows: Row[] = [
    [100, SELF, 100, 100, 100, 'Z'],
    [101, 1, 100, 100, 101],
    [102, 1, 100, 100, 101, 'Z'],
    [103, 1, 103, 103, 102, 'Z'],
  ];
  const env = environ({ 103: `${marker.name}=${marker.value}` });
  assert.deepEqual(find(rows, { marker, readEnviron: env.read }), [101]);
  assert.deepEqual(env.asked, [], 'a zombie environment is not read');
});

test('after the root has exited and been reaped, its group, session and marker still count', () => {
  const rows: Row[] = [
    [101, 1, 100, 100, 101],
    [120, 1, 120, 100, 102],
    [130, 1, 130, 130, 103],
  ];
  const env = environ({ 130: `${marker.name}=${marker.value}` });
  assert.deepEqual(find(rows, { marker, readEnviron: env.read }, { pid: 100, startTime: 100 }), [101, 120, 130]);
});

test('a reused root pid is a stranger: only the marker finds what is left of the tree', () => {
  const rows: Row[] = [
    [100, 1, 100, 100, 900], // the pid now belongs to a new session leader
    [101, 100, 100, 100, 901],
    [130, 1, 130, 130, 150], // the bot's daemon
  ];
  const env = environ({ 130: `${marker.name}=${marker.value}` });
  const pids = findTree({ pid: 100, startTime: 100 }, { table: table([...base, ...rows]), selfPid: SELF, marker, readEnviron: env.read });
  assert.deepEqual(pids.map((p) => p.pid), [130]);
  assert.deepEqual(find(rows, {}, { pid: 100, startTime: 900 }), [100, 101], 'same start time: ours');
});

test('a root that is not a group leader does not bring in the group it shares', () => {
  const rows: Row[] = [
    [100, SELF, 5, 5, 100], // spawned without detached: in the watchdog's group and session
    [101, 100, 5, 5, 101],
    [200, SELF, 5, 5, 102],
  ];
  assert.deepEqual(find(rows), [100, 101]);
});

test('an empty tree', () => {
  assert.deepEqual(find([], { marker, readEnviron: () => undefined }), []);
});
