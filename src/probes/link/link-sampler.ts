// The bot's links, seen from outside: the ESTABLISHED TCP connections and the LISTEN sockets held by
// any process of the bot's tree (/proc/<pid>/fd socket inodes → /proc/<pid>/net/tcp and tcp6).
import { readFileSync } from 'node:fs';
import { isGone, readProcInfo, type ProcInfo } from '../../process/proc-stat.js';
import { findTree, type FindTreeOptions, type TreeMarker, type TreeRoot } from '../../process/process-tree.js';
import { parseProcNetTcp, TCP_ESTABLISHED, TCP_LISTEN } from './proc-net-tcp.js';
import { readSocketInodes } from './socket-inodes.js';

/** One ESTABLISHED TCP connection of a process of the tree. */
export interface TreeConnection {
  pid: number;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** Bytes received and not yet read by the bot (the kernel's receive queue of the socket). */
  rxQueue: number;
}

/** One LISTEN socket of a process of the tree. */
export interface TreeListener {
  pid: number;
  address: string;
  port: number;
}

/** What a sample looks for. */
export interface LinkQuery {
  /** A connection of the bot's link. */
  accept: (connection: TreeConnection) => boolean;
  /** A LISTEN socket the bot must hold (probes.link.listen). */
  listener?: (listener: TreeListener) => boolean;
  /**
   * Whether what was found so far is all the sample needs (then no further socket table is read,
   * and the next sample reads only the fd tables of the processes that held it). Default: a link
   * was found, and a listener too when `listener` is set.
   */
  complete?: (links: TreeConnection[], listeners: TreeListener[]) => boolean;
}

export type LinkSample =
  | {
      kind: 'ok';
      /** The first connection the query accepted, if any. */
      link: TreeConnection | undefined;
      /** Every connection the query accepted, among the tables read. */
      links: TreeConnection[];
      /** Every LISTEN socket the query's `listener` accepted, among the tables read. */
      listeners: TreeListener[];
      /** Every ESTABLISHED connection seen in this sample (all of them after a full scan). */
      connections: TreeConnection[];
      /** Processes whose sockets were read. */
      processes: number;
      /** False when the processes that held what was found last time still held it (no tree scan needed). */
      fullScan: boolean;
    }
  /** No process of the tree is alive. */
  | { kind: 'gone' }
  /** A process's fd table or the socket table cannot be read. */
  | { kind: 'unreadable'; code: string; path: string };

export interface LinkSamplerOptions {
  root: TreeRoot;
  marker?: TreeMarker;
  procRoot?: string;
  /** Finds the tree (default: process-tree's findTree: one /proc scan, group, session, marker). */
  findTree?: (root: TreeRoot, options: FindTreeOptions) => ProcInfo[];
}

type Found = { connections: TreeConnection[]; links: TreeConnection[]; listeners: TreeListener[]; complete: boolean; holders: Set<number> };

/**
 * Samples the tree's TCP sockets. The socket tables are read once per sample (not per process),
 * from the network namespace of the bot's process. Steady state is cheap: when the processes that
 * held the link (and the listener) last time still hold them, nothing else is read; otherwise the
 * whole tree is found again (re-parented daemons included) and every member's fd table is read.
 */
export class LinkSampler {
  private readonly procRoot: string;
  /** The processes that held what the last complete sample found, with their start times (pid reuse guard). */
  private owners: { pid: number; startTime: number }[] = [];
  /** The socket table the link was last found in. */
  private linkFamily: 'tcp' | 'tcp6' = 'tcp';

  constructor(private readonly options: LinkSamplerOptions) {
    this.procRoot = options.procRoot ?? '/proc';
  }

  sample(query: LinkQuery | ((connection: TreeConnection) => boolean)): LinkSample {
    const q: LinkQuery = typeof query === 'function' ? { accept: query } : query;
    if (this.owners.length > 0) {
      const fast = this.sampleOwners(this.owners, q);
      if (fast) return fast;
      this.owners = [];
    }
    const find = this.options.findTree ?? findTree;
    const members = find(this.options.root, {
      procRoot: this.procRoot,
      marker: this.options.marker,
    });
    if (members.length === 0) return { kind: 'gone' };

    const owners = new Map<number, ProcInfo>();
    let readable = 0;
    let denied: { code: string; path: string } | undefined;
    for (const member of members) {
      const sockets = readSocketInodes(member.pid, this.procRoot);
      if (!sockets.ok) {
        if (!sockets.gone) denied ??= { code: sockets.code, path: sockets.path };
        continue;
      }
      readable++;
      for (const inode of sockets.inodes) owners.set(inode, member);
    }
    const found: Found | { kind: 'unreadable'; code: string; path: string } =
      owners.size === 0 ? { connections: [], links: [], listeners: [], complete: false, holders: new Set() } : this.scan(members, owners, q);
    if ('kind' in found) return found;
    if (found.complete) {
      this.owners = members.filter((m) => found.holders.has(m.pid)).map((m) => ({ pid: m.pid, startTime: m.startTime }));
    } else if (denied) {
      // We cannot tell: what is missing may be held by the process we could not look into.
      return { kind: 'unreadable', ...denied };
    }
    if (readable === 0 && found.links.length === 0) return { kind: 'gone' };
    return ok(found, readable, true);
  }

  /** The last owners' sockets, if they are still the same processes and still hold all the query wants. */
  private sampleOwners(previous: { pid: number; startTime: number }[], query: LinkQuery): LinkSample | undefined {
    const owners = new Map<number, ProcInfo>();
    const infos: ProcInfo[] = [];
    for (const owner of previous) {
      const info = readProcInfo(owner.pid, this.procRoot);
      if (!info || isGone(info) || info.startTime !== owner.startTime) return undefined;
      const sockets = readSocketInodes(owner.pid, this.procRoot);
      if (!sockets.ok || sockets.inodes.length === 0) return undefined;
      infos.push(info);
      for (const inode of sockets.inodes) owners.set(inode, info);
    }
    const found = this.scan(infos, owners, query);
    if ('kind' in found || !found.complete) return undefined;
    return ok(found, infos.length, false);
  }

  /**
   * ESTABLISHED and LISTEN TCP sockets among `owners`' sockets, read from the network namespace of
   * the tree. Dumping a socket table makes the kernel walk its whole TCP hash (milliseconds on a
   * machine with much memory), so as few tables as possible are read: the one where the link was
   * last found first; the other only when the query is not complete yet and some socket of the
   * tree is still unaccounted for (not in the first table, nor a Unix socket, which is cheap to
   * check).
   */
  private scan(members: ProcInfo[], owners: Map<number, ProcInfo>, query: LinkQuery): Found | { kind: 'unreadable'; code: string; path: string } {
    const complete = query.complete ?? ((links, listeners) => links.length > 0 && (!query.listener || listeners.length > 0));
    const unknown = new Set(owners.keys());
    const found: Found = { connections: [], links: [], listeners: [], complete: false, holders: new Set() };
    const netDir = this.netDir(members);
    const order = this.linkFamily === 'tcp6' ? (['tcp6', 'tcp'] as const) : (['tcp', 'tcp6'] as const);
    let unixChecked = false;
    for (const file of order) {
      if (unknown.size === 0) break;
      if (file === order[1] && !unixChecked) {
        unixChecked = true;
        for (const inode of this.unixInodes(netDir, unknown)) unknown.delete(inode);
        if (unknown.size === 0) break;
      }
      const path = `${netDir}/${file}`;
      let text: string;
      try {
        text = readFileSync(path, 'latin1');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
        if (code === 'ENOENT') continue; // no IPv6 in this kernel
        return { kind: 'unreadable', code, path };
      }
      const linksBefore = found.links.length;
      for (const socket of parseProcNetTcp(text, { inodes: unknown })) {
        unknown.delete(socket.inode);
        const owner = owners.get(socket.inode) as ProcInfo;
        if (socket.state === TCP_ESTABLISHED) {
          const { localAddress, localPort, remoteAddress, remotePort, rxQueue } = socket;
          const connection: TreeConnection = { pid: owner.pid, localAddress, localPort, remoteAddress, remotePort, rxQueue };
          found.connections.push(connection);
          if (query.accept(connection)) {
            found.links.push(connection);
            found.holders.add(owner.pid);
          }
        } else if (socket.state === TCP_LISTEN && query.listener) {
          const listener: TreeListener = { pid: owner.pid, address: socket.localAddress, port: socket.localPort };
          if (query.listener(listener)) {
            found.listeners.push(listener);
            found.holders.add(owner.pid);
          }
        }
      }
      if (found.links.length > linksBefore) this.linkFamily = file;
      if (complete(found.links, found.listeners)) {
        found.complete = true;
        return found;
      }
    }
    return found;
  }

  /** Which of `inodes` are Unix sockets (/proc/<pid>/net/unix: small, cheap to read). */
  private unixInodes(netDir: string, inodes: Set<number>): number[] {
    let text: string;
    try {
      text = readFileSync(`${netDir}/unix`, 'latin1');
    } catch {
      return [];
    }
    const out: number[] = [];
    // "Num RefCount Protocol Flags Type St Inode Path": the inode is the 7th field.
    for (const line of text.split('\n')) {
      const inode = Number(line.trim().split(/\s+/)[6]);
      if (inodes.has(inode)) out.push(inode);
    }
    return out;
  }

  /** /proc/<pid>/net of the root (or another member): the bot's network namespace, not necessarily ours. */
  private netDir(members: ProcInfo[]): string {
    const root = members.find((m) => m.pid === this.options.root.pid) ?? members[0];
    return root ? `${this.procRoot}/${root.pid}/net` : `${this.procRoot}/net`;
  }
}

function ok(found: Found, processes: number, fullScan: boolean): LinkSample {
  return {
    kind: 'ok',
    link: found.links[0],
    links: found.links,
    listeners: found.listeners,
    connections: found.connections,
    processes,
    fullScan,
  };
}
