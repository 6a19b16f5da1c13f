// Reads what a benchmark samples of a process from Linux /proc: RSS, open fds, CPU time, children,
// zombies and processes that still carry a bot tree's marker.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Clock ticks per second of utime/stime in /proc/<pid>/stat (USER_HZ; 100 on every Linux we know). */
export const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** VmRSS (kB) of a process, or undefined when it is gone. */
export function rssKb(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** RssAnon (kB): the part of the RSS that is the process's own, not file pages shared with others. */
export function rssAnonKb(pid: number): number | undefined {
  try {
    const match = /^RssAnon:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** PSS (kB) of a process from /proc/<pid>/smaps_rollup: its own pages plus its share of those it shares. */
export function pssKb(pid: number): number | undefined {
  try {
    const match = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Number of open file descriptors of a process. */
export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** What an open fd of a process points at (socket:[…], pipe:[…], a path), for a diff when counts differ. */
export function fdTargets(pid: number): string[] {
  return readdirSync(`/proc/${pid}/fd`)
    .map((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`).replace(/\[\d+\]$/, '[…]');
      } catch {
        return '?';
      }
    })
    .sort();
}

export interface ProcEntry {
  pid: number;
  ppid: number;
  state: string;
  comm: string;
  /** utime + stime in clock ticks. */
  cpuTicks: number;
}

/** /proc/<pid>/stat, parsed (comm may hold spaces and parentheses). */
export function readStat(pid: number): ProcEntry | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const close = text.lastIndexOf(')');
  const comm = text.slice(text.indexOf('(') + 1, close);
  const rest = text.slice(close + 2).split(' ');
  // rest[0] = state (field 3), rest[1] = ppid (4), rest[11] = utime (14), rest[12] = stime (15).
  return { pid, ppid: Number(rest[1]), state: rest[0] ?? '?', comm, cpuTicks: Number(rest[11]) + Number(rest[12]) };
}

/** CPU time (utime + stime) of a process in milliseconds. */
export function cpuMs(pid: number): number | undefined {
  const stat = readStat(pid);
  return stat ? (stat.cpuTicks * 1000) / CLOCK_TICKS : undefined;
}

/** Every process on the machine. */
export function allProcesses(): ProcEntry[] {
  const out: ProcEntry[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const entry = readStat(Number(name));
    if (entry) out.push(entry);
  }
  return out;
}

/** The value of `name` in a process's environment, or undefined (also when it cannot be read). */
export function environValue(pid: number, name: string): string | undefined {
  try {
    const prefix = `${name}=`;
    const found = readFileSync(`/proc/${pid}/environ`, 'latin1')
      .split('\0')
      .find((entry) => entry.startsWith(prefix));
    return found?.slice(prefix.length);
  } catch {
    return undefined;
  }
}
