import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  isSameProcess, parseStat, procAvailable, processStartTime, readProcInfo, readProcTable,
} from '../../src/process/proc-stat.js';

/** A stat line as the kernel writes it; starttime (field 22) is the 20th field after comm. */
function statLine(pid: number, comm: string, state: string, ppid: number, pgid: number, sid: number, start: number): string {
  const rest = [state, ppid, pgid, sid, 0, -1, 4194304, 99, 0, 0, 0, 3, 1, 0, 0, 20, 0, 1, 0, start, 3133440, 387];
  return `${pid} (${comm}) ${rest.join(' ')}\n`;
}

test('parseStat reads pid, ppid, group, session, state, start time and comm', () => {
  const text = '3384 (cat) R 3380 3380 2256 0 -1 4194304 99 0 0 0 0 0 0 0 20 0 1 0 32225 3133440 387 18446744073709551615 0\n';
  assert.deepEqual(parseStat(text), {
    pid: 3384, ppid: 3380, pgid: 3380, sid: 2256, state: 'R', startTime: 32225, comm: 'cat',
  });
});

test('parseStat: comm may hold spaces, parentheses and a closing parenthesis', () => {
  for (const comm of ['my bot', 'a) b (c)', ')', '(', ') S 1 1 1', '']) {
    const info = parseStat(statLine(42, comm, 'S', 7, 42, 42, 900));
    assert.deepEqual(info, { pid: 42, ppid: 7, pgid: 42, sid: 42, state: 'S', startTime: 900, comm }, comm);
  }
});

test('parseStat: kernel threads and zombies', () => {
  assert.equal(parseStat(statLine(2, 'kthreadd', 'S', 0, 0, 0, 0))?.ppid, 0);
  assert.equal(parseStat(statLine(9, 'python3', 'Z', 1, 9, 9, 5))?.state, 'Z');
});

test('parseStat rejects malformed text', () => {
  for (const text of ['', 'garbage', '12 (x', '12 (x) S 1 2', 'x (y) S 1 1 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 5',
    '12 (x) S 1 a 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 5', '12 (x) 1 1 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 5']) {
    assert.equal(parseStat(text), undefined, JSON.stringify(text));
  }
  // Missing state: the numbers shift and starttime is absent.
  assert.equal(parseStat('12 (x) '), undefined);
});

test('readProcTable scans every numeric entry once and skips vanished processes', () => {
  const root = mkdtempSync(join(tmpdir(), 'proc-'));
  try {
    const entries: Record<string, string | undefined> = {
      1: statLine(1, 'init', 'S', 0, 1, 1, 1),
      42: statLine(42, 'python3 bot.py (x)', 'S', 1, 42, 42, 500),
      43: statLine(43, 'zombie', 'Z', 42, 42, 42, 510),
      77: undefined, // exited between readdir and read: its directory has no stat any more
      99: 'not a stat line',
      self: statLine(5, 'self', 'R', 1, 5, 5, 5),
    };
    for (const [name, stat] of Object.entries(entries)) {
      mkdirSync(join(root, name));
      if (stat !== undefined) writeFileSync(join(root, name, 'stat'), stat);
    }
    const table = readProcTable(root);
    assert.deepEqual([...table.keys()].sort((a, b) => a - b), [1, 42, 43]);
    assert.equal(table.get(42)?.comm, 'python3 bot.py (x)');
    assert.equal(table.get(43)?.state, 'Z');
    assert.equal(readProcInfo(77, root), undefined);
    assert.equal(procAvailable(root), true);
    assert.equal(procAvailable(join(root, 'nowhere')), false);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('on this machine: our own process, its start time and identity', { skip: procAvailable() ? false : 'no /proc on this machine' }, () => {
  const table = readProcTable();
  const self = table.get(process.pid);
  assert.ok(self);
  assert.equal(self.ppid, process.ppid);
  const startTime = processStartTime(process.pid);
  assert.equal(startTime, self.startTime);
  assert.equal(isSameProcess(process.pid, self.startTime), true);
  assert.equal(isSameProcess(process.pid, self.startTime + 1), false, 'a different start time is a different process');
  assert.equal(processStartTime(999_999_999), undefined);
  assert.equal(isSameProcess(999_999_999, 1), false);
});
