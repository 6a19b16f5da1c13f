import { dirname } from 'node:path';

/** What a file-system error means, in words an operator can act on. */
export function describeFsError(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  switch (code) {
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EDQUOT':
      return 'the disk quota is exceeded';
    case 'EFBIG':
      return 'a file size limit is exceeded (ulimit -f)';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOTDIR':
    case 'EEXIST':
      return 'a part of the path is not a folder';
    case 'EISDIR':
      return 'a folder is in the way';
    default:
      return message ?? String(error);
  }
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
