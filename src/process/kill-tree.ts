// Stops a whole process tree: stop signal (+ SIGCONT) to every member, late forks included,
// then SIGKILL to whatever is left after the timeout, until nothing of the tree is alive.
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import type TreeKill from 'tree-kill';
import { isGone, procAvailable, readEnviron, readProcTable, type ProcInfo } from './proc-stat.js';
import { findTree, type TreeMarker, type TreeRoot } from './process-tree.js';
import { taskkillTree } from './run-process.js';

export type { TreeMarker, TreeRoot } from './process-tree.js';

/** Name of the environment variable that tags every process of a supervised tree. */
export const TREE_MARKER_ENV = 'BOT_WATCHDOG_TREE';

/** A fresh marker; set it in the child's environment at spawn, pass it to killTree. */
export function newTreeMarker(): TreeMarker {
  return { name: TREE_MARKER_ENV, value: randomUUID() };
}

const MARKER_VALUE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Why a marker read from outside (the state file) is not one newTreeMarker made, or undefined if
 * it is. Only such a marker may select processes to signal: `PATH=/usr/bin:/bin` would select
 * every process on the machine.
 */
export function foreignMarkerProblem(marker: { name: unknown; value: unknown }): string | undefined {
  if (marker.name !== TREE_MARKER_ENV) return `its name is not ${TREE_MARKER_ENV}`;
  if (typeof marker.value !== 'string' || !MARKER_VALUE.test(marker.value)) return 'its value is not a marker bot-watchdog makes';
  return undefined;
}

/** Side effects of killTree, injectable for tests. */
export interface KillDeps {
  /** Like process.kill: a negative pid signals a process group, signal 0 only probes. Throws ESRCH/EPERM. */
  kill(pid: number, signal: NodeJS.Signals | 0): void;
  readTable(): Map<number, ProcInfo>;
  readEnviron(pid: number): string | undefined;
  /** Monotonic milliseconds. */
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Whether the tree can be found in /proc; when not, tree-kill does the walking. */
  procAvailable(): boolean;
  /** tree-kill: signals pid and its descendants found with `ps`/`pgrep`. Resolves even on error. */
  treeKill(pid: number, signal: NodeJS.Signals): Promise<void>;
  /** Where the watchdog runs. On Windows (no signals, no process groups, no /proc) the tree goes with taskkill. */
  platform: NodeJS.Platform;
  /** Windows: `taskkill /pid <pid> /T /F` through the process runner. Resolves even on error. */
  taskkill(pid: number): Promise<void>;
}

export interface KillTreeOptions {
  /** Sent first, to every member (stop.signal). */
  signal: NodeJS.Signals;
  /** Milliseconds after the call when whatever is left gets SIGKILL (stop.timeout). */
  timeout: number;
  /** The marker set in the child's environment; finds re-parented and setsid'd descendants. */
  marker?: TreeMarker;
  /** Longest wait in milliseconds between /proc re-scans for late forks and exits. Default 10. */
  pollInterval?: number;
  /** Milliseconds to wait for SIGKILL to take effect before reporting survivors. Default 5000. */
  killWait?: number;
  /** Called once per batch of signalled pids (initial batch, each batch of newcomers, SIGKILL batch). */
  onSignal?: (pids: number[], signal: NodeJS.Signals) => void;
  deps?: Partial<KillDeps>;
}

export interface KillTreeResult {
  /** Every pid that was signalled. */
  pids: number[];
  /** Whether SIGKILL was needed: something outlived `timeout`. */
  forced: boolean;
  durationMs: number;
  /** Pids still alive after SIGKILL and `killWait` (e.g. stuck in uninterruptible sleep). Normally empty. */
  survivors: number[];
}

const defaultDeps: KillDeps = {
  kill: (pid, signal) => {
    process.kill(pid, signal);
  },
  readTable: () => readProcTable(),
  readEnviron: (pid) => readEnviron(pid),
  now: () => performance.now(),
  sleep: (ms) => delay(ms),
  procAvailable: () => procAvailable(),
  // Loaded only where it is used (no /proc), and required: it is CommonJS.
  treeKill: (pid, signal) =>
    new Promise((resolve) => (createRequire(import.meta.url)('tree-kill') as typeof TreeKill)(pid, signal, () => resolve())),
  platform: process.platform,
  taskkill: async (pid) => {
    await taskkillTree(pid);
  },
};

/**
 * Stops the tree rooted at `root` (spawned detached, with `marker` in its environment).
 * Resolves once no process of the tree is alive, or with `survivors` after SIGKILL and
 * `killWait`; never rejects because the tree, or part of it, is already gone.
 */
export async function killTree(root: TreeRoot, opts: KillTreeOptions): Promise<KillTreeResult> {
  const deps: KillDeps = { ...defaultDeps, ...opts.deps };
  const pollInterval = opts.pollInterval ?? 10;
  const killWait = opts.killWait ?? 5000;
  checkMs('timeout', opts.timeout, 0);
  checkMs('pollInterval', pollInterval, 1);
  checkMs('killWait', killWait, 0);
  const start = deps.now();
  const send = (pid: number, signal: NodeJS.Signals | 0): void => {
    try {
      deps.kill(pid, signal);
    } catch (error) {
      // ESRCH: it exited meanwhile. EPERM: not ours to kill; it will show up in `survivors`.
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ESRCH' && code !== 'EPERM') throw error;
    }
  };
  const settings = { ...opts, pollInterval, killWait };
  if (deps.platform === 'win32') return killWithTaskkill(root, settings, deps, start);
  return deps.procAvailable()
    ? killScanned(root, settings, deps, send, start)
    : killWithTreeKill(root, settings, deps, send, start);
}

/**
 * Processes that obey a signal are usually gone within a millisecond or two: re-scan that soon
 * after the stop and the SIGKILL batches, then double the wait up to `pollInterval`.
 */
const FIRST_POLL_MS = 1;

type Settings = KillTreeOptions & { pollInterval: number; killWait: number };
type Send = (pid: number, signal: NodeJS.Signals | 0) => void;

/** Linux: re-scan /proc every poll, signal each member once per signal, until the tree is empty. */
async function killScanned(
  root: TreeRoot, opts: Settings, deps: KillDeps, send: Send, start: number,
): Promise<KillTreeResult> {
  const signalled = new Set<number>();
  /** Last signal sent to each process, keyed by pid + start time so a reused pid counts as new. */
  const sent = new Map<string, NodeJS.Signals>();
  const groupSignalled = new Set<NodeJS.Signals>();
  let signal = opts.signal;
  let deadline = start + opts.timeout;
  let forced = false;
  let tree: TreeRoot | undefined;
  let wait = FIRST_POLL_MS;

  /** Signals each target once: the root's group as a whole, the others one by one. */
  const deliver = (targets: ProcInfo[]): void => {
    // The first batch of each signal goes to the root's group with one kill(-pgid), which
    // also reaches group members forked since the scan. Later batches (newcomers) go one by
    // one: a second group signal would hit members that already got it.
    const viaGroup = !groupSignalled.has(signal) && targets.some((info) => info.pgid === root.pid);
    if (viaGroup) groupSignalled.add(signal);
    const direct = targets.filter((info) => !viaGroup || info.pgid !== root.pid).map((info) => info.pid);
    const recipients = viaGroup ? [-root.pid, ...direct] : direct;
    for (const pid of recipients) send(pid, signal);
    // A member that leaves the group (setsid) between the scan and the group kill is missed by
    // it, and would wait for SIGKILL: the group's members are read again and one no longer in it
    // is signalled directly (twice at worst, if it left just after the kill).
    if (viaGroup) {
      const now = deps.readTable();
      for (const info of targets) {
        const current = info.pgid === root.pid ? now.get(info.pid) : undefined;
        if (!current || current.startTime !== info.startTime || current.pgid === root.pid || isGone(current)) continue;
        send(info.pid, signal);
        recipients.push(info.pid);
      }
    }
    // A stopped process keeps a pending signal until continued (systemd does the same).
    if (signal !== 'SIGKILL') for (const pid of recipients) send(pid, 'SIGCONT');
    for (const info of targets) {
      sent.set(`${info.pid}:${info.startTime}`, signal);
      signalled.add(info.pid);
    }
    opts.onSignal?.(targets.map((info) => info.pid), signal);
  };

  for (;;) {
    const table = deps.readTable();
    // The first scan pins the root's identity: its start time bounds the marker search, and a
    // process that takes over the pid later is a stranger. No process starts at -1, so a root
    // already gone at the first scan makes any later holder of its pid a stranger too.
    tree ??= { pid: root.pid, startTime: root.startTime ?? table.get(root.pid)?.startTime ?? -1 };
    const alive = findTree(tree, { table, marker: opts.marker, readEnviron: deps.readEnviron });
    const now = deps.now();
    const result = (survivors: number[]): KillTreeResult =>
      ({ pids: [...signalled], forced, durationMs: Math.round(now - start), survivors });
    if (alive.length === 0) return result([]);
    if (now >= deadline) {
      if (forced) return result(alive.map((info) => info.pid));
      forced = true;
      signal = 'SIGKILL';
      deadline = now + opts.killWait;
      wait = FIRST_POLL_MS;
    }
    const targets = alive.filter((info) => sent.get(`${info.pid}:${info.startTime}`) !== signal);
    if (targets.length > 0) deliver(targets);
    await deps.sleep(Math.min(wait, opts.pollInterval, deadline - now));
    wait *= 2;
  }
}

/** Without /proc: tree-kill walks the tree with `ps`; only the root's exit can be watched. */
async function killWithTreeKill(
  root: TreeRoot, opts: Settings, deps: KillDeps, send: Send, start: number,
): Promise<KillTreeResult> {
  const alive = (): boolean => {
    try {
      deps.kill(root.pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code !== 'ESRCH';
    }
  };
  const gone = async (deadline: number): Promise<boolean> => {
    for (let now = deps.now(); alive(); now = deps.now()) {
      if (now >= deadline) return false;
      await deps.sleep(Math.min(opts.pollInterval, deadline - now));
    }
    return true;
  };
  const signalTree = async (signal: NodeJS.Signals): Promise<void> => {
    await deps.treeKill(root.pid, signal);
    send(-root.pid, signal);
    if (signal !== 'SIGKILL') send(-root.pid, 'SIGCONT');
    opts.onSignal?.([root.pid], signal);
  };
  const result = (pids: number[], forced: boolean, survivors: number[]): KillTreeResult =>
    ({ pids, forced, durationMs: Math.round(deps.now() - start), survivors });

  if (!alive()) return result([], false, []);
  await signalTree(opts.signal);
  if (await gone(start + opts.timeout)) return result([root.pid], false, []);
  await signalTree('SIGKILL');
  const killed = await gone(deps.now() + opts.killWait);
  return result([root.pid], true, killed ? [] : [root.pid]);
}

/**
 * Windows: no signals to send (Node's SIGTERM there is TerminateProcess, of the root alone), no
 * process groups, no /proc. taskkill /T /F ends the root and every descendant at once, while the
 * root still links them; then the root's exit is watched. `stop.signal` and `timeout` do not apply.
 */
async function killWithTaskkill(root: TreeRoot, opts: Settings, deps: KillDeps, start: number): Promise<KillTreeResult> {
  const alive = (): boolean => {
    try {
      deps.kill(root.pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const result = (pids: number[], survivors: number[]): KillTreeResult =>
    ({ pids, forced: pids.length > 0, durationMs: Math.round(deps.now() - start), survivors });
  if (!alive()) return result([], []);
  await deps.taskkill(root.pid);
  opts.onSignal?.([root.pid], 'SIGKILL');
  const deadline = deps.now() + opts.killWait;
  for (let now = deps.now(); alive(); now = deps.now()) {
    if (now >= deadline) return result([root.pid], [root.pid]);
    await deps.sleep(Math.min(opts.pollInterval, deadline - now));
  }
  return result([root.pid], []);
}

function checkMs(name: string, value: number, min: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new TypeError(`Expected the \`${name}\` option to be a finite number >= ${min}, got \`${String(value)}\` (${typeof value})`);
  }
}
