// killTree against a simulated process table and a virtual clock: exact signals and times.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { killTree, newTreeMarker, TREE_MARKER_ENV, type KillDeps, type KillTreeOptions, type TreeRoot } from '../../src/process/kill-tree.js';
import type { ProcInfo } from '../../src/process/proc-stat.js';

const marker = { name: TREE_MARKER_ENV, value: 'm1' };
const MARKED = `${TREE_MARKER_ENV}=m1\0`;

/** obey: exits on any catchable signal; ignore: only SIGKILL; unkillable: uninterruptible sleep. */
type Behaviour = 'obey' | 'ignore' | 'unkillable';
interface FakeProc extends ProcInfo { behaviour: Behaviour; env: string; pending: boolean }

/** A tiny kernel: processes, signals (stop/continue, group kill), a clock advanced by sleep(). */
class FakeSystem {
  time = 0;
  calls: string[] = [];
  sleeps: number[] = [];
  procs = new Map<number, FakeProc>();
  private events: Array<{ at: number; run: () => void }> = [];

  spawn(pid: number, ppid: number, opts: Partial<FakeProc> = {}): void {
    this.procs.set(pid, {
      pid, ppid, pgid: pid, sid: pid, state: 'S', startTime: this.time, comm: `p${pid}`,
      behaviour: 'obey', env: MARKED, pending: false, ...opts,
    });
  }

  /** Runs `run` when the clock reaches `at`. */
  at(at: number, run: () => void): void {
    this.events.push({ at, run });
  }

  deps: Partial<KillDeps> = {
    procAvailable: () => true,
    now: () => this.time,
    sleep: async (ms) => {
      this.sleeps.push(ms);
      this.time += ms;
      for (const event of this.events.filter((e) => e.at <= this.time)) {
        this.events.splice(this.events.indexOf(event), 1);
        event.run();
      }
    },
    readTable: () => new Map([...this.procs].map(([pid, { behaviour, env, pending, ...info }]) => [pid, info])),
    readEnviron: (pid) => this.procs.get(pid)?.env,
    kill: (pid, signal) => {
      if (signal !== 0) this.calls.push(`${this.time} ${signal} ${pid}`);
      const targets = pid < 0 ? [...this.procs.values()].filter((p) => p.pgid === -pid) : [this.procs.get(pid)];
      if (!targets[0]) throw Object.assign(new Error(`kill ESRCH`), { code: 'ESRCH' });
      for (const target of targets) if (target && signal !== 0) this.deliver(target, signal);
    },
  };

  private deliver(p: FakeProc, signal: NodeJS.Signals): void {
    if (p.state === 'Z') return;
    if (signal === 'SIGKILL') {
      if (p.behaviour !== 'unkillable') this.exit(p);
    } else if (signal === 'SIGCONT') {
      if (p.state === 'T') p.state = 'S';
      if (p.pending && p.behaviour === 'obey') this.exit(p);
    } else if (p.state === 'T') {
      p.pending = true;
    } else if (p.behaviour === 'obey') {
      this.exit(p);
    }
  }

  /** Exits and is reaped at once; children move to init. */
  private exit(p: FakeProc): void {
    this.procs.delete(p.pid);
    for (const child of this.procs.values()) if (child.ppid === p.pid) child.ppid = 1;
  }
}

/** Runs killTree on the fake system, recording onSignal batches. */
async function run(sys: FakeSystem, opts: Partial<KillTreeOptions> = {}, root: TreeRoot = { pid: 100 }) {
  const batches: Array<[number[], string]> = [];
  const result = await killTree(root, {
    signal: 'SIGTERM', timeout: 1000, marker, deps: sys.deps,
    onSignal: (pids, signal) => batches.push([pids, signal]), ...opts,
  });
  return { result, batches };
}

/** The watchdog (10) under init (1), with an unrelated older process (300). */
function system(): FakeSystem {
  const sys = new FakeSystem();
  sys.spawn(1, 0, { env: '' });
  sys.spawn(10, 1, { env: '' });
  sys.spawn(300, 1, { env: '' });
  return sys;
}

test('signals every member once: the group with one kill(-pgid), then SIGCONT, the others one by one', async () => {
  const sys = system();
  sys.time = 5;
  sys.spawn(100, 10);
  sys.spawn(101, 100, { pgid: 100, sid: 100 });
  sys.spawn(102, 101); // setsid'd grandchild
  sys.spawn(130, 1); // double-forked daemon, found by its marker
  sys.spawn(140, 1, { env: 'OTHER=1\0' }); // a stranger started later
  sys.time = 0;
  const { result, batches } = await run(sys, { signal: 'SIGINT' });
  assert.deepEqual(sys.calls, [
    '0 SIGINT -100', '0 SIGINT 102', '0 SIGINT 130',
    '0 SIGCONT -100', '0 SIGCONT 102', '0 SIGCONT 130',
  ]);
  assert.deepEqual(batches, [[[100, 101, 102, 130], 'SIGINT']]);
  assert.deepEqual(result, { pids: [100, 101, 102, 130], forced: false, durationMs: 1, survivors: [] });
  assert.ok(sys.procs.has(140) && sys.procs.has(300) && sys.procs.has(10));
});

test('SIGKILL exactly at `timeout` for what ignores the stop signal, and nothing after the tree is gone', async () => {
  const sys = system();
  sys.spawn(100, 10, { behaviour: 'ignore' });
  const { result, batches } = await run(sys, { timeout: 90, pollInterval: 10 });
  assert.deepEqual(sys.calls, ['0 SIGTERM -100', '0 SIGCONT -100', '90 SIGKILL -100']);
  // Re-scans 1 ms after each batch, backing off to pollInterval, and land on the deadline.
  assert.deepEqual(sys.sleeps, [1, 2, 4, 8, 10, 10, 10, 10, 10, 10, 10, 5, 1]);
  assert.deepEqual(batches, [[[100], 'SIGTERM'], [[100], 'SIGKILL']]);
  assert.deepEqual(result, { pids: [100], forced: true, durationMs: 91, survivors: [] });
});

test('a stopped process gets SIGCONT after the signal, so it exits without waiting for SIGKILL', async () => {
  const sys = system();
  sys.spawn(100, 10, { state: 'T' });
  sys.spawn(101, 100, { pgid: 100, sid: 100, state: 'T' });
  const { result } = await run(sys, { timeout: 30_000 });
  assert.deepEqual(sys.calls, ['0 SIGTERM -100', '0 SIGCONT -100']);
  assert.deepEqual(result, { pids: [100, 101], forced: false, durationMs: 1, survivors: [] });
});

test('late forks are signalled as they appear, each process once, and a reused pid counts as new', async () => {
  const sys = system();
  sys.spawn(100, 10, { behaviour: 'ignore' });
  sys.at(30, () => sys.spawn(104, 100, { pgid: 100, sid: 100, behaviour: 'ignore' }));
  sys.at(50, () => sys.spawn(105, 1)); // a daemon: exits on SIGTERM at once
  sys.at(70, () => sys.spawn(105, 104, { pgid: 100, sid: 100, behaviour: 'ignore' })); // pid 105 reused
  const { result, batches } = await run(sys, { timeout: 100 });
  // Scans at 0, 1, 3, 7, 15, 25, 35, ... 95, 100: each newcomer is seen by the next scan.
  assert.deepEqual(sys.calls, [
    '0 SIGTERM -100', '0 SIGCONT -100',
    '35 SIGTERM 104', '35 SIGCONT 104',
    '55 SIGTERM 105', '55 SIGCONT 105',
    '75 SIGTERM 105', '75 SIGCONT 105',
    '100 SIGKILL -100',
  ]);
  assert.deepEqual(batches, [
    [[100], 'SIGTERM'], [[104], 'SIGTERM'], [[105], 'SIGTERM'], [[105], 'SIGTERM'],
    [[100, 104, 105], 'SIGKILL'],
  ]);
  assert.deepEqual(result, { pids: [100, 104, 105], forced: true, durationMs: 101, survivors: [] });
});

test('forks after the SIGKILL batch get SIGKILL too', async () => {
  const sys = system();
  sys.spawn(100, 10, { behaviour: 'unkillable' }); // e.g. stuck in D state, still forking
  sys.at(60, () => sys.spawn(106, 100, { sid: 106, pgid: 106, behaviour: 'ignore' }));
  const { result } = await run(sys, { timeout: 50, killWait: 100 });
  assert.deepEqual(sys.calls, ['0 SIGTERM -100', '0 SIGCONT -100', '50 SIGKILL -100', '65 SIGKILL 106']);
  assert.deepEqual(result, { pids: [100, 106], forced: true, durationMs: 150, survivors: [100] });
});

test('after SIGKILL, waits at most `killWait` and reports survivors instead of hanging', async () => {
  const sys = system();
  sys.spawn(100, 10, { behaviour: 'unkillable', state: 'D' });
  const { result } = await run(sys, { timeout: 50, killWait: 200 });
  assert.deepEqual(sys.calls, ['0 SIGTERM -100', '0 SIGCONT -100', '50 SIGKILL -100']);
  assert.deepEqual(result, { pids: [100], forced: true, durationMs: 250, survivors: [100] });
});

test('an already dead tree: no signal, no wait, no error', async () => {
  const sys = system();
  sys.spawn(100, 10, { state: 'Z' }); // exited, not yet reaped
  const { result, batches } = await run(sys);
  assert.deepEqual(result, { pids: [], forced: false, durationMs: 0, survivors: [] });
  assert.deepEqual([sys.calls, sys.sleeps, batches], [[], [], []]);
  const gone = await run(system(), {}, { pid: 4242 });
  assert.deepEqual(gone.result, { pids: [], forced: false, durationMs: 0, survivors: [] });
});

test('a process exiting between scan and kill (ESRCH) is not an error', async () => {
  const sys = system();
  sys.spawn(100, 10);
  const readTable = sys.deps.readTable!;
  // The first scan still lists 101, which has exited since.
  sys.deps.readTable = ((first = true) => () => {
    const table = readTable();
    if (first) table.set(101, { pid: 101, ppid: 100, pgid: 101, sid: 101, state: 'S', startTime: 0, comm: 'x' });
    first = false;
    return table;
  })();
  const { result } = await run(sys);
  assert.deepEqual(sys.calls, ['0 SIGTERM -100', '0 SIGTERM 101', '0 SIGCONT -100', '0 SIGCONT 101']);
  assert.deepEqual(result, { pids: [100, 101], forced: false, durationMs: 1, survivors: [] });
});

test('a member that leaves the group between the scan and the group kill is signalled directly', async () => {
  const sys = system();
  sys.spawn(100, 10);
  sys.spawn(101, 100, { pgid: 100, sid: 100 });
  const readTable = sys.deps.readTable!;
  // 101 calls setsid() just after the first scan saw it in the group (a shell's `setsid cmd &`).
  sys.deps.readTable = ((first = true) => () => {
    const table = readTable();
    if (first) Object.assign(sys.procs.get(101)!, { pgid: 101, sid: 101 });
    first = false;
    return table;
  })();
  const { result } = await run(sys, { timeout: 5000 });
  assert.deepEqual(sys.calls, ['0 SIGTERM -100', '0 SIGTERM 101', '0 SIGCONT -100', '0 SIGCONT 101']);
  assert.deepEqual(result, { pids: [100, 101], forced: false, durationMs: 1, survivors: [] });
});

test('a root pid now held by another process (different start time) is left alone', async () => {
  const sys = system();
  sys.time = 900;
  sys.spawn(100, 1, { env: '' }); // a stranger leading its own group
  const { result } = await run(sys, {}, { pid: 100, startTime: 5 });
  assert.deepEqual(sys.calls, []);
  assert.deepEqual(result.pids, []);
});

test('options are checked, naming the option and the value', async () => {
  await assert.rejects(run(system(), { timeout: -1 }), { name: 'TypeError', message: 'Expected the `timeout` option to be a finite number >= 0, got `-1` (number)' });
  await assert.rejects(run(system(), { pollInterval: 0 }), /`pollInterval`/);
  await assert.rejects(run(system(), { killWait: Number.NaN }), /`killWait`/);
});

test('without /proc: tree-kill with the signal, SIGKILL exactly at `timeout`, root watched with kill(pid, 0)', async () => {
  const sys = system();
  sys.spawn(100, 10, { behaviour: 'ignore' });
  sys.spawn(101, 100, { pgid: 100, behaviour: 'ignore' });
  sys.deps.procAvailable = () => false;
  sys.deps.treeKill = async (pid, signal) => {
    sys.calls.push(`${sys.time} tree-kill ${signal} ${pid}`);
    for (const p of [...sys.procs.values()].filter((p) => p.pid === pid || p.ppid === pid)) {
      sys.deps.kill!(p.pid, signal);
    }
  };
  const { result, batches } = await run(sys, { timeout: 35 });
  assert.deepEqual(sys.calls, [
    '0 tree-kill SIGTERM 100', '0 SIGTERM 100', '0 SIGTERM 101', '0 SIGTERM -100', '0 SIGCONT -100',
    '35 tree-kill SIGKILL 100', '35 SIGKILL 100', '35 SIGKILL 101', '35 SIGKILL -100',
  ]);
  assert.deepEqual(sys.sleeps, [10, 10, 10, 5]);
  assert.deepEqual(batches, [[[100], 'SIGTERM'], [[100], 'SIGKILL']]);
  assert.deepEqual(result, { pids: [100], forced: true, durationMs: 35, survivors: [] });
});

test('Windows: taskkill /T /F for the tree at once; no stop signal, no SIGCONT, no process group, no /proc', async () => {
  const sys = system();
  sys.spawn(100, 10, { behaviour: 'ignore' });
  sys.spawn(101, 100, { behaviour: 'ignore' });
  sys.deps.platform = 'win32';
  sys.deps.procAvailable = () => assert.fail('/proc is not read on Windows');
  sys.deps.readTable = () => assert.fail('/proc is not read on Windows');
  sys.deps.readEnviron = () => assert.fail('/proc is not read on Windows');
  sys.deps.taskkill = async (pid) => {
    sys.calls.push(`${sys.time} taskkill /pid ${pid} /T /F`);
    sys.at(sys.time + 20, () => {
      for (const p of [...sys.procs.values()].filter((p) => p.pid === pid || p.ppid === pid)) sys.deps.kill!(p.pid, 'SIGKILL');
    });
  };
  const { result, batches } = await run(sys, { timeout: 5000 });
  assert.deepEqual(sys.calls, ['0 taskkill /pid 100 /T /F', '20 SIGKILL 100', '20 SIGKILL 101']);
  assert.ok(sys.calls.every((call) => !call.includes('SIGCONT') && !call.includes(' -')), 'no SIGCONT, no group');
  assert.deepEqual(batches, [[[100], 'SIGKILL']]);
  assert.deepEqual(result, { pids: [100], forced: true, durationMs: 20, survivors: [] });
});

test('Windows: a root already gone is nothing to kill; one that outlives taskkill is a survivor', async () => {
  const gone = system();
  gone.deps.platform = 'win32';
  gone.deps.taskkill = async () => assert.fail('nothing to kill');
  assert.deepEqual((await run(gone)).result, { pids: [], forced: false, durationMs: 0, survivors: [] });

  const stuck = system();
  stuck.spawn(100, 10, { behaviour: 'unkillable' });
  stuck.deps.platform = 'win32';
  stuck.deps.taskkill = async () => {};
  const { result } = await run(stuck, { killWait: 50 });
  assert.deepEqual(result, { pids: [100], forced: true, durationMs: 50, survivors: [100] });
});

test('newTreeMarker: a fresh value under BOT_WATCHDOG_TREE each time', () => {
  const a = newTreeMarker();
  const b = newTreeMarker();
  assert.equal(a.name, 'BOT_WATCHDOG_TREE');
  assert.notEqual(a.value, b.value);
  assert.match(a.value, /^[\w-]{16,}$/);
});
