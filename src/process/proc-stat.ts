// Linux /proc reader: one process's stat line, or the whole process table in one scan.
// See proc(5): /proc/<pid>/stat is "pid (comm) state ppid pgrp session ... starttime ...".
import { existsSync, readdirSync, readFileSync } from 'node:fs';

export interface ProcInfo {
  pid: number;
  ppid: number;
  /** Process group id. */
  pgid: number;
  /** Session id. */
  sid: number;
  /** One letter: R running, S sleeping, D uninterruptible, T stopped, Z zombie, X dead, ... */
  state: string;
  /** Field 22: start time in clock ticks since boot. With the pid, it identifies a process across pid reuse. */
  startTime: number;
  comm: string;
}

/** Index of starttime (field 22) among the space-separated fields that follow "(comm) ". */
const START_TIME_INDEX = 22 - 3;

/**
 * Parses the text of /proc/<pid>/stat. The command name sits in parentheses and may itself
 * contain spaces and ')' (a process can name itself anything), so it ends at the LAST ')'.
 */
export function parseStat(text: string): ProcInfo | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const fields = text.slice(close + 1).trim().split(' ');
  const info: ProcInfo = {
    pid: integer(text.slice(0, open).trim()),
    ppid: integer(fields[1]),
    pgid: integer(fields[2]),
    sid: integer(fields[3]),
    state: fields[0] ?? '',
    startTime: integer(fields[START_TIME_INDEX]),
    comm: text.slice(open + 1, close),
  };
  const valid = /^[A-Za-z]$/.test(info.state) && info.pid > 0 &&
    [info.pid, info.ppid, info.pgid, info.sid, info.startTime].every(Number.isInteger);
  return valid ? info : undefined;
}

/** A decimal field, or NaN when it is missing or empty. */
function integer(field: string | undefined): number {
  return field ? Number(field) : NaN;
}

/** True for errors meaning "that process is gone" (it exited between readdir and read). */
function vanished(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ESRCH';
}

/** Reads one process's stat, or undefined if there is no such process. */
export function readProcInfo(pid: number, procRoot = '/proc'): ProcInfo | undefined {
  try {
    return parseStat(readFileSync(`${procRoot}/${pid}/stat`, 'utf8'));
  } catch (error) {
    if (vanished(error)) return undefined;
    throw error;
  }
}

/** One scan of the process table: every process's stat, keyed by pid. Zombies are included (state 'Z'). */
export function readProcTable(procRoot = '/proc'): Map<number, ProcInfo> {
  const table = new Map<number, ProcInfo>();
  for (const name of readdirSync(procRoot)) {
    if (!/^\d+$/.test(name)) continue;
    const info = readProcInfo(Number(name), procRoot);
    if (info) table.set(info.pid, info);
  }
  return table;
}

/** Whether this system has a Linux-style /proc (the tree is found by scanning it). */
export function procAvailable(procRoot = '/proc'): boolean {
  return existsSync(`${procRoot}/self/stat`);
}

/** Zombies ('Z') and dead tasks ('X') have exited; only their parent's wait() is missing. */
export function isGone(info: ProcInfo): boolean {
  return info.state === 'Z' || info.state === 'X';
}

export function processStartTime(pid: number, procRoot = '/proc'): number | undefined {
  return readProcInfo(pid, procRoot)?.startTime;
}

/**
 * Whether `pid` is still the live process that had `startTime` (not a zombie, and the pid
 * not reused by another process since).
 */
export function isSameProcess(pid: number, startTime: number, procRoot = '/proc'): boolean {
  const info = readProcInfo(pid, procRoot);
  return info !== undefined && !isGone(info) && info.startTime === startTime;
}

/**
 * The environment a process was started with (NUL-separated "NAME=value" entries), or
 * undefined when it cannot be read: gone, another user's process, or a kernel thread.
 */
export function readEnviron(pid: number, procRoot = '/proc'): string | undefined {
  try {
    return readFileSync(`${procRoot}/${pid}/environ`, 'utf8');
  } catch {
    return undefined;
  }
}
