import { createHash, randomBytes } from 'node:crypto';
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { ensureFolder } from '../fs/atomic-write.js';
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
 * - Releasing removes the lock only if it is still ours.
 */
export interface LockOwner extends ProcessIdentity {
  startedAt?: string;
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
}

const ATTEMPTS = 200;
const RETRY_MS = 5;

export async function acquireInstanceLock(path: string, deps: LockDeps = {}): Promise<LockAttempt> {
  const me: LockOwner = deps.identity ?? { ...identityOf(process.pid), startedAt: new Date().toISOString() };
  const liveness = deps.liveness ?? defaultLiveness;
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
  const acquired = (replaced?: LockOwner): LockAttempt => ({
    acquired: true,
    lock: { path, owner: me, release: () => releaseIfOurs(path, mine) },
    ...(replaced ? { replaced } : {}),
  });
  try {
    let lastClaimant: LockOwner | undefined;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (tryLink(temp, path)) return acquired();
      const text = readOrUndefined(path);
      if (text === undefined) continue; // released meanwhile: try again
      const owner = parseOwner(text);
      if (owner) {
        const state = liveness(owner);
        if (state !== 'gone') return { acquired: false, owner, liveness: state };
      }
      // Stale (or unreadable, which no watchdog writes): claim the take-over of this exact content.
      const claim = `${path}.takeover-${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
      if (!tryLink(temp, claim)) {
        // Another starter is taking over the same stale lock, or died while doing so.
        const claimant = parseOwner(readOrUndefined(claim) ?? '');
        if (!claimant || liveness(claimant) === 'gone') unlinkQuiet(claim);
        else lastClaimant = claimant;
        await delay(RETRY_MS);
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
    const { pid, startTime, bootId, startedAt } = value;
    if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return undefined;
    return {
      pid,
      ...(typeof startTime === 'number' ? { startTime } : {}),
      ...(typeof bootId === 'string' ? { bootId } : {}),
      ...(typeof startedAt === 'string' ? { startedAt } : {}),
    };
  } catch {
    return undefined;
  }
}
