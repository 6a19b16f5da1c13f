// The sockets a process holds: /proc/<pid>/fd/* are symlinks, and a socket's reads "socket:[<inode>]".
// The inode is the key into /proc/net/tcp and tcp6.
import { readdirSync, readlinkSync } from 'node:fs';

export type SocketInodesResult =
  | { ok: true; inodes: number[] }
  /** The process is gone (it exited between the tree scan and now). */
  | { ok: false; gone: true }
  /** Its fd table cannot be read: another user's process (EACCES), or /proc hides it. */
  | { ok: false; gone: false; code: string; path: string };

const SOCKET_LINK = /^socket:\[(\d+)\]$/;

/** The socket inodes `pid` holds open. */
export function readSocketInodes(pid: number, procRoot = '/proc'): SocketInodesResult {
  const dir = `${procRoot}/${pid}/fd`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
    if (code === 'ENOENT' || code === 'ESRCH') return { ok: false, gone: true };
    return { ok: false, gone: false, code, path: dir };
  }
  const inodes: number[] = [];
  for (const name of names) {
    let target: string;
    try {
      target = readlinkSync(`${dir}/${name}`);
    } catch {
      continue; // closed meanwhile
    }
    // Cheap test first: most fds are files and pipes.
    if (target.charCodeAt(0) !== 0x73 /* s */) continue;
    const match = SOCKET_LINK.exec(target);
    if (match) inodes.push(Number(match[1]));
  }
  return { ok: true, inodes };
}
