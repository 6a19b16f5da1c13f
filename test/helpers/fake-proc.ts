// A synthetic /proc tree for parser and probe tests: stat, environ, fd symlinks and net/tcp files.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { endianness, tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FakeProcess {
  pid: number;
  ppid: number;
  pgid?: number;
  sid?: number;
  startTime?: number;
  state?: string;
  env?: Record<string, string>;
  /** Socket inodes held open (fd symlinks to socket:[inode]). */
  sockets?: number[];
  /** Plain fds (files, pipes) besides the sockets. */
  otherFds?: number;
  /** Makes /proc/<pid>/fd unreadable (a file instead of a folder: ENOTDIR). */
  fdUnreadable?: boolean;
}

const LITTLE = endianness() === 'LE';

/** Hex of one 32-bit word as the kernel dumps it (host byte order). */
function word(bytes: number[]): string {
  const ordered = LITTLE ? [...bytes].reverse() : bytes;
  return ordered.map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join('');
}

/** "127.0.0.1:8080" → kernel dump "0100007F:1F90"; "[::1]:8080" and "[::ffff:1.2.3.4]:80" for tcp6. */
export function hexEndpoint(endpoint: string): string {
  const v6 = /^\[(.*)\]:(\d+)$/.exec(endpoint);
  const [host, port] = v6 ? [v6[1] as string, Number(v6[2])] : [endpoint.split(':')[0] as string, Number(endpoint.split(':')[1])];
  let bytes: number[];
  if (!v6) {
    bytes = host.split('.').map(Number);
  } else if (host === '::') {
    bytes = new Array<number>(16).fill(0);
  } else if (host === '::1') {
    bytes = [...new Array<number>(15).fill(0), 1];
  } else {
    const mapped = /^::ffff:(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(host);
    if (!mapped) throw new Error(`hexEndpoint: unsupported ${host}`);
    bytes = [...new Array<number>(10).fill(0), 0xff, 0xff, ...mapped.slice(1).map(Number)];
  }
  let hex = '';
  for (let i = 0; i < bytes.length; i += 4) hex += word(bytes.slice(i, i + 4));
  return `${hex}:${port.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** One line of /proc/net/tcp(6). State 1 = ESTABLISHED, 8 = CLOSE_WAIT, 0x0A = LISTEN; rxQueue: bytes not read yet. */
export function tcpLine(slot: number, local: string, remote: string, inode: number, state = 1, rxQueue = 0): string {
  const st = state.toString(16).toUpperCase().padStart(2, '0');
  const rx = rxQueue.toString(16).toUpperCase().padStart(8, '0');
  return `  ${slot}: ${hexEndpoint(local)} ${hexEndpoint(remote)} ${st} 00000000:${rx} 00:00000000 00000000  1000        0 ${inode} 1 0000000000000000 20 4 30 10 -1`;
}

export const TCP_HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';

export class FakeProc {
  readonly root = mkdtempSync(join(tmpdir(), 'bw-fake-proc-'));

  constructor() {
    mkdirSync(join(this.root, 'self'));
    writeFileSync(join(this.root, 'self', 'stat'), this.statLine({ pid: 1, ppid: 0 }));
  }

  add(proc: FakeProcess): this {
    const dir = join(this.root, String(proc.pid));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'stat'), this.statLine(proc));
    const env = Object.entries(proc.env ?? {}).map(([k, v]) => `${k}=${v}\0`).join('');
    writeFileSync(join(dir, 'environ'), env);
    if (proc.fdUnreadable) {
      writeFileSync(join(dir, 'fd'), '');
      return this;
    }
    mkdirSync(join(dir, 'fd'));
    let fd = 0;
    for (let i = 0; i < (proc.otherFds ?? 3); i++) symlinkSync(i === 0 ? '/dev/null' : `pipe:[${900000 + i}]`, join(dir, 'fd', String(fd++)));
    for (const inode of proc.sockets ?? []) symlinkSync(`socket:[${inode}]`, join(dir, 'fd', String(fd++)));
    return this;
  }

  remove(pid: number): this {
    rmSync(join(this.root, String(pid)), { recursive: true, force: true });
    return this;
  }

  /** Writes <root>/<pid>/net/tcp and tcp6 (pid undefined: <root>/net/…). */
  net(pid: number | undefined, tcp: string[], tcp6?: string[]): this {
    const dir = pid === undefined ? join(this.root, 'net') : join(this.root, String(pid), 'net');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'tcp'), [TCP_HEADER, ...tcp, ''].join('\n'));
    if (tcp6) writeFileSync(join(dir, 'tcp6'), [TCP_HEADER, ...tcp6, ''].join('\n'));
    return this;
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }

  private statLine(p: FakeProcess): string {
    const pgid = p.pgid ?? p.pid;
    const sid = p.sid ?? p.pid;
    // Fields 3…22: state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime priority nice num_threads itrealvalue starttime
    return `${p.pid} (p${p.pid}) ${p.state ?? 'S'} ${p.ppid} ${pgid} ${sid} 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 ${p.startTime ?? p.pid} 0 0\n`;
  }
}
