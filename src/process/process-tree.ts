// Finds every process of a supervised tree from one /proc table scan.
import { isGone, readEnviron as readProcEnviron, readProcTable, type ProcInfo } from './proc-stat.js';

/** The supervised child. `startTime` (from /proc stat) guards against its pid being reused. */
export interface TreeRoot {
  pid: number;
  startTime?: number;
}

/** An environment entry NAME=value set in the child's environment, inherited by its descendants. */
export interface TreeMarker {
  name: string;
  value: string;
}

export interface FindTreeOptions {
  marker?: TreeMarker;
  /** A table from readProcTable(); scanned now when absent. */
  table?: Map<number, ProcInfo>;
  procRoot?: string;
  readEnviron?: (pid: number) => string | undefined;
  /** Our own pid (default process.pid): it and its ancestors never belong to the tree. */
  selfPid?: number;
}

/**
 * The live (non-zombie) processes of the tree rooted at `root`: the fixpoint of
 * - the root itself;
 * - every process in the process group or session whose id is the root's pid (the root is
 *   spawned detached, so it leads both; the kernel keeps such an id reserved while any
 *   member lives, so a match is never a stranger, even after the root has exited);
 * - every process whose environment holds the marker — this finds descendants that
 *   re-parented, double-forked or called setsid;
 * - every child of a process already in the set.
 * Environments are read only for processes started at or after the root, which are few.
 */
export function findTree(root: TreeRoot, opts: FindTreeOptions = {}): ProcInfo[] {
  const procRoot = opts.procRoot ?? '/proc';
  const table = opts.table ?? readProcTable(procRoot);
  const readEnviron = opts.readEnviron ?? ((pid: number) => readProcEnviron(pid, procRoot));
  const excluded = selfAndAncestors(table, opts.selfPid ?? process.pid);

  const children = new Map<number, ProcInfo[]>();
  for (const info of table.values()) {
    const siblings = children.get(info.ppid);
    if (siblings) siblings.push(info);
    else children.set(info.ppid, [info]);
  }

  const members = new Map<number, ProcInfo>();
  /** Adds `info` and all its descendants. */
  const add = (info: ProcInfo): void => {
    const stack = [info];
    for (let next = stack.pop(); next; next = stack.pop()) {
      if (members.has(next.pid) || excluded.has(next.pid)) continue;
      members.set(next.pid, next);
      stack.push(...(children.get(next.pid) ?? []));
    }
  };

  const rootInfo = table.get(root.pid);
  // If the root's pid now names another process, its group and session are not ours:
  // only the marker can still find what is left of the tree.
  const rootReused =
    rootInfo !== undefined && root.startTime !== undefined && rootInfo.startTime !== root.startTime;
  if (!rootReused) {
    if (rootInfo) add(rootInfo);
    for (const info of table.values()) {
      if (info.pgid === root.pid || info.sid === root.pid) add(info);
    }
  }

  if (opts.marker) {
    const entry = `${opts.marker.name}=${opts.marker.value}`;
    const rootStart = root.startTime ?? (rootReused ? undefined : rootInfo?.startTime);
    for (const info of table.values()) {
      if (members.has(info.pid) || excluded.has(info.pid) || isGone(info)) continue;
      if (rootStart !== undefined && info.startTime < rootStart) continue;
      if (readEnviron(info.pid)?.split('\0').includes(entry)) add(info);
    }
  }

  return [...members.values()].filter((info) => !isGone(info));
}

/**
 * The live processes that carry `marker` in their environment and started at or after `since`
 * (clock ticks since boot), oldest first: a tree whose root's pid was never recorded.
 */
export function findMarked(marker: TreeMarker, since: number, opts: Omit<FindTreeOptions, 'marker'> = {}): ProcInfo[] {
  const procRoot = opts.procRoot ?? '/proc';
  const table = opts.table ?? readProcTable(procRoot);
  const readEnviron = opts.readEnviron ?? ((pid: number) => readProcEnviron(pid, procRoot));
  const excluded = selfAndAncestors(table, opts.selfPid ?? process.pid);
  const entry = `${marker.name}=${marker.value}`;
  const marked: ProcInfo[] = [];
  for (const info of table.values()) {
    if (excluded.has(info.pid) || isGone(info) || info.startTime < since) continue;
    if (readEnviron(info.pid)?.split('\0').includes(entry)) marked.push(info);
  }
  return marked.sort((a, b) => a.startTime - b.startTime || a.pid - b.pid);
}

/** `selfPid` and every ancestor of it found in the table. */
function selfAndAncestors(table: Map<number, ProcInfo>, selfPid: number): Set<number> {
  const chain = new Set<number>([selfPid]);
  for (let info = table.get(selfPid); info && !chain.has(info.ppid); info = table.get(info.ppid)) {
    chain.add(info.ppid);
  }
  return chain;
}
