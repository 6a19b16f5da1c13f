import { dirname } from 'node:path';

/** What a file-system error means, in words an operator can act on, by its code. */
const FS_ERRORS: Readonly<Record<string, string>> = {
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exceeded',
  EFBIG: 'a file size limit is exceeded (ulimit -f)',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOTDIR: 'a part of the path is not a folder',
  EEXIST: 'a part of the path is not a folder',
  EISDIR: 'a folder is in the way',
};

export function describeFsError(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  return (code !== undefined && Object.hasOwn(FS_ERRORS, code) ? FS_ERRORS[code] : undefined) ?? message ?? String(error);
}

/**
 * `run` refuses to start when the state folder cannot be written at start: the instance lock in
 * it is what keeps a second bot off the same QQ account (and the state file is what finds a
 * killed watchdog's bot), so a watchdog without it could start a second bot. The message names
 * the folder, why, and the fix.
 */
export function unusableStateFolder(stateFile: string, error: unknown): { folder: string; code: string | undefined; why: string; message: string } {
  const folder = dirname(stateFile);
  const why = describeFsError(error);
  return {
    folder,
    code: (error as NodeJS.ErrnoException).code,
    why,
    message:
      `cannot use the state folder ${folder}: ${why}. Its lock keeps a second bot off the same QQ account, so nothing was started: ` +
      `make ${folder} writable (or free space on its disk), or set state.file to a writable place`,
  };
}
