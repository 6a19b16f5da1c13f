// Before the bot starts again: is its listening port still held? A previous bot (or a straggler of
// its tree) that has not let go yet makes the new one die with EADDRINUSE, again and again. This
// waits until no process LISTENs on the bot's port(s), reading /proc: the LISTEN sockets of
// net/tcp and tcp6, and which process holds each (its fd links to socket:[inode]).
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { parseProcNetTcp, TCP_LISTEN } from '../probes/link/proc-net-tcp.js';
import { formatBotListen, type BotListenSpec } from '../net/listen-address.js';
import { bindingsOverlap } from '../probes/link/listen.js';
import { readSocketInodes } from '../probes/link/socket-inodes.js';
import type { EventLog } from '../log/events.js';

export interface PortHolder {
  /** The port as the bot's config names it (":2280", "127.0.0.1:2280"). */
  port: string;
  /** Where the holder listens: "0.0.0.0:2280", "[::]:2280". */
  listening: string;
  /** Undefined when no process we may look into holds it (another user's, or another namespace's). */
  pid: number | undefined;
  /** Its command line (at most 200 characters), when known. */
  command: string | undefined;
}

export interface PortWaitDeps {
  /** Default /proc. Its net/tcp and net/tcp6 are the watchdog's network namespace, the bot's too. */
  procRoot?: string;
  /** Monotonic milliseconds. */
  now: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Time between looks. Default 100 ms. */
  pollMs?: number;
  /** Logs child.port-busy when the wait begins, child.port-free or child.port-timeout when it ends. */
  log?: Pick<EventLog, 'emit'>;
  /** Gives up early (the watchdog is stopping). */
  signal?: AbortSignal;
}

export interface PortWaitResult {
  /** True when nothing listens on the ports any more (or never did). */
  free: boolean;
  waitedMs: number;
  /** Who held the ports when the wait began (empty: free at once). */
  holders: PortHolder[];
  /** Who still holds them at the end (empty when free). */
  stillHeld: PortHolder[];
}

/**
 * Waits until no process LISTENs on any of `ports`, at most `timeoutMs` (0: look once). A binding
 * on another address of the same port does not count (it would not clash); one on all addresses
 * (0.0.0.0 or ::) does. Never throws: an unreadable /proc counts as free.
 */
export async function waitForFreePorts(ports: (BotListenSpec | number)[], timeoutMs: number, deps: PortWaitDeps): Promise<PortWaitResult> {
  const specs = ports.map((p) => (typeof p === 'number' ? { host: undefined, port: p } : p));
  const now = deps.now;
  const sleep = deps.sleep ?? ((ms: number) => delay(ms, undefined, deps.signal ? { signal: deps.signal } : {}).catch(() => {}));
  const pollMs = deps.pollMs ?? 100;
  const started = now();
  const holders = findPortHolders(specs, deps.procRoot);
  if (specs.length === 0 || holders.length === 0) return { free: true, waitedMs: 0, holders: [], stillHeld: [] };
  deps.log?.emit('child.port-busy', { ports: specs.map(formatBotListen), holders, timeoutMs }, `${describe(holders)}: waiting up to ${timeoutMs} ms before starting the bot`);
  let current = holders;
  while (current.length > 0) {
    const waited = now() - started;
    if (waited >= timeoutMs || deps.signal?.aborted) {
      deps.log?.emit('child.port-timeout', { ports: specs.map(formatBotListen), holders: current, waitedMs: waited }, `${describe(current)} after ${waited} ms: starting the bot anyway`);
      return { free: false, waitedMs: waited, holders, stillHeld: current };
    }
    await sleep(Math.min(pollMs, timeoutMs - waited));
    current = findPortHolders(specs, deps.procRoot);
  }
  const waitedMs = now() - started;
  deps.log?.emit('child.port-free', { ports: specs.map(formatBotListen), waitedMs }, `the bot's port is free after ${waitedMs} ms`);
  return { free: true, waitedMs, holders, stillHeld: [] };
}

function describe(holders: PortHolder[]): string {
  return holders
    .map((h) => `${h.listening} is held by ${h.pid === undefined ? 'a process we cannot see' : `pid ${h.pid}${h.command ? ` (${h.command})` : ''}`}`)
    .join('; ');
}

/** The processes that LISTEN on any of `specs` now (one entry per LISTEN socket). */
export function findPortHolders(specs: BotListenSpec[], procRoot = '/proc'): PortHolder[] {
  const listening: { spec: BotListenSpec; address: string; port: number; inode: number }[] = [];
  for (const file of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = readFileSync(`${procRoot}/net/${file}`, 'latin1');
    } catch {
      continue; // no IPv6, or no /proc: nothing we can wait for
    }
    for (const socket of parseProcNetTcp(text, { state: TCP_LISTEN })) {
      const spec = specs.find((s) => bindingsOverlap(s, socket.localAddress, socket.localPort));
      if (spec) listening.push({ spec, address: socket.localAddress, port: socket.localPort, inode: socket.inode });
    }
  }
  if (listening.length === 0) return [];
  const owners = socketOwners(new Set(listening.map((l) => l.inode)), procRoot);
  return listening.map((l) => {
    const pid = owners.get(l.inode);
    return {
      port: formatBotListen(l.spec),
      listening: l.address.includes(':') ? `[${l.address}]:${l.port}` : `${l.address}:${l.port}`,
      pid,
      command: pid === undefined ? undefined : commandOf(pid, procRoot),
    };
  });
}

/** inode → the lowest pid holding it (a forked server shares its socket with its children). */
function socketOwners(inodes: Set<number>, procRoot: string): Map<number, number> {
  const out = new Map<number, number>();
  let pids: number[];
  try {
    pids = readdirSync(procRoot)
      .filter((name) => /^\d+$/.test(name))
      .map(Number)
      .sort((a, b) => a - b);
  } catch {
    return out;
  }
  for (const pid of pids) {
    const sockets = readSocketInodes(pid, procRoot);
    if (!sockets.ok) continue;
    for (const inode of sockets.inodes) {
      if (inodes.has(inode) && !out.has(inode)) out.set(inode, pid);
    }
    if (out.size === inodes.size) break;
  }
  return out;
}

function commandOf(pid: number, procRoot: string): string | undefined {
  try {
    const argv = readFileSync(`${procRoot}/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    if (argv) return argv.length > 200 ? `${argv.slice(0, 199)}…` : argv;
    return readFileSync(`${procRoot}/${pid}/comm`, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
