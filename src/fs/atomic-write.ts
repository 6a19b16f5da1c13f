import { mkdirSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface AtomicWriteOptions {
  /** Mode of the file. Default 0600: state and caches are nobody else's business. */
  mode?: number;
  /** Mode of folders created on the way. Default 0700. */
  dirMode?: number;
}

/**
 * Writes `text` to `path` so that a reader sees the old content or the new one, never a part:
 * a temp file in the same folder, then rename(2) over the target. Creates missing folders.
 * No fsync: these files matter after a crash of the process, not of the machine (after a
 * reboot every pid in them is void anyway).
 */
export function writeFileAtomic(path: string, text: string, options: AtomicWriteOptions = {}): void {
  ensureFolder(dirname(path), options.dirMode ?? 0o700);
  // pid and a random part: unique between processes, and against a temp file a crashed process
  // with the same pid left behind ('wx' refuses to write through it). Not a secret: Math.random
  // spares a one-shot `check` the load of node:crypto.
  const temp = `${path}.${process.pid}.${Math.random().toString(16).slice(2, 10)}.tmp`;
  try {
    writeFileSync(temp, text, { mode: options.mode ?? 0o600, flag: 'wx' });
    renameSync(temp, path);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // never created, or already renamed
    }
    throw error;
  }
}

/**
 * mkdir -p, with the real reason when it fails: Node's recursive mkdir reports ENOENT on a
 * read-only file system, where this says EROFS.
 */
export function ensureFolder(path: string, mode = 0o700): void {
  try {
    mkdirSync(path, { mode });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      if (statSync(path).isDirectory()) return;
      throw error;
    }
    if (code !== 'ENOENT' || dirname(path) === path) throw error;
    ensureFolder(dirname(path), mode);
    try {
      mkdirSync(path, { mode });
    } catch (again) {
      if ((again as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(path).isDirectory()) throw again;
    }
  }
}
