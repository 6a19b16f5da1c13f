import { createHash, randomBytes } from 'node:crypto';
import { linkSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ensureFolder } from '../fs/atomic-write.js';
import type { Clock, TimerHandle } from '../clock/clock.js';
import { identityOf, liveness as defaultLiveness, type Liveness, type ProcessIdentity } from './identity.js';

export { lockPathFor } from './state-file.js';

/**
 * "Is another watchdog running with this state file?" — answered by a lock file beside it
 * (`<state.file>.lock`) that names its owner by pid, start time and boot id.
 *
 * - Taking a free lock is atomic: the content is written to a temp file first and hard-linked
 *   to the lock's name, which fails if the name exists (so no reader ever sees half a lock).
 * - A lock whose owner is gone (it exited, was SIGKILLed, its pid now names another process,
 *   the machine rebooted) is stale and is taken over. The take-over is a compare-and-swap on
 *   the stale content: only the starter that links `<lock>.takeover-<hash of that content>`
 *   may rename it over the lock, so two watchdogs started at once never both win.
 * - A pid is never enough to keep a lock: pids are reused (Windows and Wine at once, Linux after a
 *   wrap-around). A lock naming our own pid that this process does not hold is stale (a previous
 *   watchdog's, whose pid we got). Where there is no /proc to tell a reused pid (a live pid is only
 *   'unknown'), the holder renews its lock's mtime every `renewEveryMs`: a lock not renewed within
 *   `leaseMs` is stale, so a start waits at most `leaseMs` to find out, and never refuses because
 *   of a pid alone.
 * - Releasing removes the lock only if it is still ours.
 */
export interface LockOwner extends ProcessIdentity {
  startedAt?: string;
  /** Random, per lock taken: tells this process's own lock from a predecessor's with the same pid. */
  nonce?: string;
}

export type LockAttempt =
  | { acquired: true; lock: InstanceLock; /** The stale owner that was replaced, if any. */ replaced?: LockOwner }
  | { acquired: false; owner: LockOwner; liveness: Exclude<Liveness, 'gone'> };

export interface InstanceLock {
  readonly path: string;
  readonly owner: LockOwner;
  /** Removes the lock if it still names us. Never throws. */
  release(): void;
}

export interface LockDeps {
  identity?: LockOwner;
  liveness?: (owner: ProcessIdentity) => Liveness;
  /** Our pid (default process.pid). */
  pid?: number;
  /** Waits between attempts and for a lease; the wall clock, compared to lock files' mtimes. */
  clock: Pick<Clock, 'sleep' | 'wallNow' | 'setTimeout' | 'clearTimeout'>;
  renewEveryMs?: number;
  leaseMs?: number;
}

const ATTEMPTS = 200;
const RETRY_MS = 5;
/** Where /proc is missing: the holder renews its lock this often, and a lock not renewed for LEASE_MS is stale. */
export const RENEW_MS = 5000;
export const LEASE_MS = 15_000;
const LEASE_POLL_MS = 500;

/** The nonces of the locks this process holds. */
const held = new Set<string>();

export async function acquireInstanceLock(path: string, deps: LockDeps): Promise<LockAttempt> {
  const ownPid = deps.pid ?? process.pid;
  const nonce = randomBytes(8).toString('hex');
  const me: LockOwner = { ...(deps.identity ?? { ...identityOf(ownPid), startedAt: new Date().toISOString() }), nonce };
  const clock = deps.clock;
  const leaseMs = deps.leaseMs ?? LEASE_MS;
  const baseLiveness = deps.liveness ?? defaultLiveness;
  // Our own pid in a lock we do not hold: a predecessor's, whose pid was given to us.
  const liveness = (owner: LockOwner): Liveness =>
    owner.pid === ownPid && (owner.nonce === undefined || !held.has(owner.nonce)) ? 'gone' : baseLiveness(owner);
  const mine = `${JSON.stringify(me)}\n`;
  ensureFolder(dirname(path), 0o700);
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(temp, mine, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Created but not written (a full disk): never leave it behind.
    unlinkQuiet(temp);
    throw error;
  }
  const acquired = (replaced?: LockOwner): LockAttempt => {
    held.add(nonce);
    const stopRenewing = me.startTime === undefined ? renewWhileOurs(path, mine, clock, deps.renewEveryMs ?? RENEW_MS) : () => {};
    return {
      acquired: true,
      lock: {
        path,
        owner: me,
        release: () => {
          stopRenewing();
          held.delete(nonce);
          releaseIfOurs(path, mine);
        },
      },
      ...(replaced ? { replaced } : {}),
    };
  };
  try {
    let lastClaimant: LockOwner | undefined;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (tryLink(temp, path)) return acquired();
      const text = readOrUndefined(path);
      if (text === undefined) continue; // released meanwhile: try again
      const owner = parseOwner(text);
      if (owner) {
        let state = liveness(owner);
        // No /proc: the pid alone may be anyone's. A holder that lives renews its lock.
        if (state === 'unknown' && !(await renewedWithin(path, leaseMs, clock))) state = 'gone';
        if (state !== 'gone') return { acquired: false, owner, liveness: state };
      }
      // Stale (or unreadable, which no watchdog writes): claim the take-over of this exact content.
      const claim = `${path}.takeover-${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
      if (!tryLink(temp, claim)) {
        // Another starter is taking over the same stale lock, or died while doing so.
        const claimant = parseOwner(readOrUndefined(claim) ?? '');
        if (!claimant || liveness(claimant) === 'gone') unlinkQuiet(claim);
        else lastClaimant = claimant;
        await clock.sleep(RETRY_MS);
        continue;
      }
      // While we hold the claim, the lock can change only through us (or its removal).
      if (readOrUndefined(path) !== text) {
        unlinkQuiet(claim);
        continue;
      }
      try {
        renameSync(claim, path);
      } catch (error) {
        unlinkQuiet(claim);
        throw error;
      }
      return acquired(owner);
    }
    if (lastClaimant) return { acquired: false, owner: lastClaimant, liveness: 'alive' };
    throw new Error(`could not take the lock ${path}: it keeps changing`);
  } finally {
    unlinkQuiet(temp);
  }
}

/** Reads the owner of a lock file, if there is a readable one. */
export function readLockOwner(path: string): LockOwner | undefined {
  const text = readOrUndefined(path);
  return text === undefined ? undefined : parseOwner(text);
}

/**
 * Whether the lock at `path` is renewed (its mtime changes) within `leaseMs`. Watched rather than
 * judged by its age: a wall clock that jumped must not make a live holder's lock look old. False
 * if it is gone meanwhile (the loop then simply takes it).
 */
async function renewedWithin(path: string, leaseMs: number, clock: Pick<Clock, 'sleep'>): Promise<boolean> {
  const first = mtimeOf(path);
  if (first === undefined) return false;
  for (let waited = 0; waited < leaseMs; waited += LEASE_POLL_MS) {
    await clock.sleep(LEASE_POLL_MS);
    const now = mtimeOf(path);
    if (now === undefined) return false;
    if (now !== first) return true;
  }
  return false;
}

/** Touches the lock every `everyMs` while it names us; returns the function that stops. */
function renewWhileOurs(path: string, mine: string, clock: Pick<Clock, 'setTimeout' | 'clearTimeout' | 'wallNow'>, everyMs: number): () => void {
  let timer: TimerHandle | undefined;
  const renew = () => {
    try {
      if (readOrUndefined(path) !== mine) return; // no longer ours: stop
      const now = new Date(clock.wallNow());
      utimesSync(path, now, now);
    } catch {
      // a full or read-only disk: the next renewal tries again
    }
    timer = clock.setTimeout(renew, everyMs, { unref: true });
  };
  timer = clock.setTimeout(renew, everyMs, { unref: true });
  return () => clock.clearTimeout(timer);
}

function mtimeOf(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

function tryLink(from: string, to: string): boolean {
  try {
    linkSync(from, to);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function unlinkQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

function releaseIfOurs(path: string, mine: string): void {
  try {
    if (readOrUndefined(path) === mine) unlinkSync(path);
  } catch {
    // nothing to release, or not ours to release
  }
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const value = JSON.parse(text) as Record<string, unknown>;
    if (value === null || typeof value !== 'object') return undefined;
    const { pid, startTime, bootId, startedAt, nonce } = value;
    if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return undefined;
    return {
      pid,
      ...(typeof startTime === 'number' ? { startTime } : {}),
      ...(typeof bootId === 'string' ? { bootId } : {}),
      ...(typeof startedAt === 'string' ? { startedAt } : {}),
      ...(typeof nonce === 'string' ? { nonce } : {}),
    };
  } catch {
    return undefined;
  }
}
