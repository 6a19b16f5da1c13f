// The bot's own link to the backend, seen from outside: the ESTABLISHED TCP connections held by
// any process of the bot's tree (/proc/<pid>/fd socket inodes → /proc/<pid>/net/tcp and tcp6).
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { isGone, readProcInfo, type ProcInfo } from '../../process/proc-stat.js';
import { findTree, type FindTreeOptions, type TreeMarker, type TreeRoot } from '../../process/process-tree.js';
import { systemClock } from '../../clock/clock.js';
import { seconds } from '../../human-duration.js';
import { hostPort } from '../host-port.js';
import { result, type Probe, type ProbeResult } from '../probe.js';
import { parseProcNetTcp, TCP_ESTABLISHED } from './proc-net-tcp.js';
import { readSocketInodes } from './socket-inodes.js';
import type { TargetMatcher } from './target.js';

/** One ESTABLISHED TCP connection of a process of the tree. */
export interface TreeConnection {
  pid: number;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
}

export type LinkSample =
  | {
      kind: 'ok';
      /** The first connection the predicate accepted, if any. */
      link: TreeConnection | undefined;
      /** Every ESTABLISHED connection seen in this sample (all of them after a full scan). */
      connections: TreeConnection[];
      /** Processes whose sockets were read. */
      processes: number;
      /** False when the process that held the link last time still held it (no tree scan needed). */
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

/**
 * Samples the tree's TCP connections. The socket tables are read once per sample (not per
 * process), from the network namespace of the bot's process. Steady state is cheap: when the
 * process that held the link last time still holds it, nothing else is read; otherwise the whole
 * tree is found again (re-parented daemons included) and every member's fd table is read.
 */
export class LinkSampler {
  private readonly procRoot: string;
  /** The process that held the link at the last sample, with its start time (pid reuse guard). */
  private owner: { pid: number; startTime: number } | undefined;
  /** The socket table the link was last found in. */
  private linkFamily: 'tcp' | 'tcp6' = 'tcp';

  constructor(private readonly options: LinkSamplerOptions) {
    this.procRoot = options.procRoot ?? '/proc';
  }

  sample(accept: (connection: TreeConnection) => boolean): LinkSample {
    if (this.owner) {
      const fast = this.sampleOwner(this.owner, accept);
      if (fast) return fast;
      this.owner = undefined;
    }
    const find = this.options.findTree ?? findTree;
    const members = find(this.options.root, {
      procRoot: this.procRoot,
      ...(this.options.marker ? { marker: this.options.marker } : {}),
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
    const found = owners.size === 0 ? { connections: [], link: undefined } : this.established(members, owners, accept);
    if ('kind' in found) return found;
    const { connections, link } = found;
    if (link) {
      const info = owners.get(link.inode) as ProcInfo;
      this.owner = { pid: info.pid, startTime: info.startTime };
    } else if (denied) {
      // We cannot tell: the link may be held by the process we could not look into.
      return { kind: 'unreadable', ...denied };
    }
    if (readable === 0 && !link) return { kind: 'gone' };
    return { kind: 'ok', link: link && stripInode(link), connections: connections.map(stripInode), processes: readable, fullScan: true };
  }

  /** The last owner's connections, if it is still the same process and still holds an accepted one. */
  private sampleOwner(owner: { pid: number; startTime: number }, accept: (c: TreeConnection) => boolean): LinkSample | undefined {
    const info = readProcInfo(owner.pid, this.procRoot);
    if (!info || isGone(info) || info.startTime !== owner.startTime) return undefined;
    const sockets = readSocketInodes(owner.pid, this.procRoot);
    if (!sockets.ok || sockets.inodes.length === 0) return undefined;
    const owners = new Map(sockets.inodes.map((inode) => [inode, info]));
    const found = this.established([info], owners, accept);
    if ('kind' in found || !found.link) return undefined;
    return { kind: 'ok', link: stripInode(found.link), connections: found.connections.map(stripInode), processes: 1, fullScan: false };
  }

  /**
   * ESTABLISHED TCP connections among `owners`' sockets, read from the network namespace of the
   * tree. Dumping a socket table makes the kernel walk its whole TCP hash (milliseconds on a
   * machine with much memory), so as few tables as possible are read: the one where the link was
   * last found first; the other only when the link is not found and some socket of the tree is
   * still unaccounted for (not in the first table, nor a Unix socket, which is cheap to check).
   */
  private established(
    members: ProcInfo[],
    owners: Map<number, ProcInfo>,
    accept: (c: TreeConnection) => boolean,
  ): { connections: Connection[]; link: Connection | undefined } | { kind: 'unreadable'; code: string; path: string } {
    const unknown = new Set(owners.keys());
    const connections: Connection[] = [];
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
      for (const socket of parseProcNetTcp(text, { inodes: unknown })) {
        unknown.delete(socket.inode);
        if (socket.state !== TCP_ESTABLISHED) continue;
        const owner = owners.get(socket.inode) as ProcInfo;
        connections.push({
          pid: owner.pid,
          localAddress: socket.localAddress,
          localPort: socket.localPort,
          remoteAddress: socket.remoteAddress,
          remotePort: socket.remotePort,
          inode: socket.inode,
        });
      }
      const link = connections.find(accept);
      if (link) {
        this.linkFamily = file;
        return { connections, link };
      }
    }
    return { connections, link: undefined };
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

type Connection = TreeConnection & { inode: number };

function stripInode(connection: TreeConnection): TreeConnection {
  const { pid, localAddress, localPort, remoteAddress, remotePort } = connection;
  return { pid, localAddress, localPort, remoteAddress, remotePort };
}

export interface LinkProbeOptions {
  sampler: Pick<LinkSampler, 'sample'>;
  matcher: TargetMatcher;
  /** No link seen for this long = link lost. */
  grace: number;
  /** Monotonic time the window starts at (the bot's spawn): before any sample saw the link, it counts from here. */
  since: number;
  /** Monotonic milliseconds (the supervisor's clock). */
  now?: () => number;
  /** Wall-clock milliseconds, for the lastSeenAt evidence. */
  wallNow?: () => number;
  /** Names are looked up again on a miss at most this often. Default 10 s. */
  refreshEvery?: number;
}

/**
 * "link": healthy while some sample within the last `grace` saw an ESTABLISHED connection from
 * the bot's tree to the backend. So a bot that polls over short HTTP connections can be watched
 * with a grace longer than its polling period, without flapping. Stateful: one instance per run.
 */
export class LinkProbe implements Probe {
  readonly name = 'link';
  private lastSeen: number | undefined;
  private lastSeenWall: number | undefined;
  private lastRefresh: number;
  private readonly now: () => number;
  private readonly wallNow: () => number;

  constructor(private readonly options: LinkProbeOptions) {
    this.now = options.now ?? systemClock.now;
    this.wallNow = options.wallNow ?? Date.now;
    this.lastRefresh = this.now();
  }

  /** Milliseconds until the verdict would turn unhealthy if no sample sees the link (≤ 0: already). */
  dueInMs(): number {
    return (this.lastSeen ?? this.options.since) + this.options.grace - this.now();
  }

  async check(): Promise<ProbeResult> {
    const started = performance.now();
    const { matcher, grace } = this.options;
    const target = matcher.describe();
    const accept = (c: TreeConnection) => matcher.accepts(c.remoteAddress, c.remotePort);
    let sample: LinkSample;
    try {
      sample = this.options.sampler.sample(accept);
    } catch (error) {
      return result(this.name, 'misconfigured', `cannot read the bot's sockets: ${(error as Error).message}`, started, { target });
    }
    if (sample.kind === 'unreadable') {
      return result(
        this.name,
        'misconfigured',
        `cannot read ${sample.path} (${sample.code}): run the watchdog as the bot's user or as root`,
        started,
        { target },
      );
    }
    if (sample.kind === 'gone') return result(this.name, 'healthy', 'no process of the bot is running', started, { target });

    let link = sample.link;
    if (!link && matcher.hasNames && this.now() - this.lastRefresh >= (this.options.refreshEvery ?? 10_000)) {
      // A container backend may have come back with a new address that the bot is using.
      this.lastRefresh = this.now();
      await matcher.refresh();
      link = sample.connections.find(accept);
    }
    if (link) {
      this.lastSeen = this.now();
      this.lastSeenWall = this.wallNow();
      return result(this.name, 'healthy', `connected to ${hostPort(link.remoteAddress, link.remotePort)} (pid ${link.pid})`, started, {
        target,
        connectionPid: link.pid,
        local: hostPort(link.localAddress, link.localPort),
        remote: hostPort(link.remoteAddress, link.remotePort),
      });
    }

    const unresolved = matcher.unresolved();
    if (unresolved.length > 0 && unresolved.length === matcher.size) {
      return result(this.name, 'misconfigured', unresolved.join('; '), started, { target });
    }
    const now = this.now();
    const missingForMs = now - (this.lastSeen ?? this.options.since);
    const lastSeenAgoMs = this.lastSeen === undefined ? null : now - this.lastSeen;
    const details = {
      target,
      graceMs: grace,
      missingForMs,
      lastSeenAt: this.lastSeenWall === undefined ? null : new Date(this.lastSeenWall).toISOString(),
      lastSeenAgoMs,
      otherConnections: sample.connections.slice(0, 5).map((c) => hostPort(c.remoteAddress, c.remotePort)),
    };
    const seenText = lastSeenAgoMs === null ? 'never seen since the bot started' : `last seen ${seconds(lastSeenAgoMs)} ago`;
    if (missingForMs < grace) {
      return result(this.name, 'healthy', `no connection to ${target} now; ${seenText} (grace ${seconds(grace)})`, started, details);
    }
    return result(this.name, 'unhealthy', `no connection from the bot to ${target} for ${seconds(missingForMs)} (${seenText})`, started, details);
  }
}

