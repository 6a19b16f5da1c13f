import { readFileSync } from 'node:fs';
import { isGone, readProcInfo } from '../process/proc-stat.js';

/**
 * Who a process is, across time: its pid, its start time from /proc (so a reused pid is a
 * stranger) and the boot it belongs to (start times count from boot, and pid files outlive a
 * reboot). `startTime` and `bootId` are absent where there is no /proc.
 */
export interface ProcessIdentity {
  pid: number;
  startTime?: number;
  bootId?: string;
}

/** 'alive': the same process still runs. 'gone': it exited (or the pid now names another
 * process). 'unknown': no /proc to tell, and the pid exists. */
export type Liveness = 'alive' | 'gone' | 'unknown';

let cachedBootId: string | undefined | null = null;

/** The kernel's id of this boot, or undefined where there is none. */
export function bootId(procRoot = '/proc'): string | undefined {
  if (procRoot !== '/proc') return readBootId(procRoot);
  if (cachedBootId === null) cachedBootId = readBootId(procRoot);
  return cachedBootId;
}

function readBootId(procRoot: string): string | undefined {
  try {
    return readFileSync(`${procRoot}/sys/kernel/random/boot_id`, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The identity of a live process (our own by default), read now. */
export function identityOf(pid: number = process.pid): ProcessIdentity {
  const info = readProcInfo(pid);
  const boot = bootId();
  return {
    pid,
    ...(info ? { startTime: info.startTime } : {}),
    ...(boot ? { bootId: boot } : {}),
  };
}

/**
 * Whether the process named by `identity` still runs. Without /proc only the pid can be tested,
 * which a reused pid fools: that answer is 'unknown', for callers to treat with care.
 */
export function liveness(identity: ProcessIdentity): Liveness {
  // Never probe pid 0 or a negative pid: kill(0) and kill(-n) would address process groups.
  if (!Number.isInteger(identity.pid) || identity.pid <= 0) return 'gone';
  const boot = bootId();
  if (identity.bootId !== undefined && boot !== undefined && identity.bootId !== boot) return 'gone';
  if (identity.startTime !== undefined) {
    let info;
    try {
      info = readProcInfo(identity.pid);
    } catch {
      info = undefined;
    }
    if (info) return !isGone(info) && info.startTime === identity.startTime ? 'alive' : 'gone';
    if (procReadable()) return 'gone';
  }
  try {
    process.kill(identity.pid, 0);
    return 'unknown';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? 'unknown' : 'gone';
  }
}

function procReadable(): boolean {
  try {
    readFileSync('/proc/self/stat');
    return true;
  } catch {
    return false;
  }
}
