import type { Socket } from 'node:net';
import type { Clock, TimerHandle } from '../clock/clock.js';

/**
 * The connections of a listener that have not yet shown who they are or what they want (an HTTP
 * request not yet complete, a WebSocket handshake not yet accepted, a keep-alive connection idle
 * between requests), kept bounded so that a flood of them never locks a legitimate client out:
 *
 * - each source address holds at most `maxPerSource` pending sockets, and all sources together
 *   `maxPending`. Over either bound the **oldest** pending socket (of that source, else of all) is
 *   cut, never the new one: a flood churns its own sockets, and a real client's fresh connection
 *   always gets in and has its deadline to finish;
 * - a socket still pending after `deadlineMs` is cut.
 *
 * A socket stops being pending once its listener `settle`s it (authenticated, answering a
 * request); `unsettle` makes it pending again (idle keep-alive). Established sockets are bounded by
 * the listener itself (WebSocket links, event streams). Nothing here throws.
 */
export type DropCause = 'per-source' | 'full' | 'deadline';

export interface PendingSocketsOptions {
  maxPending: number;
  maxPerSource: number;
  deadlineMs: number;
  /** A socket was cut: `source` is its address (no port). */
  onDrop: (socket: Socket, source: string, cause: DropCause) => void;
  clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
}

interface Entry {
  source: string;
  timer: TimerHandle;
}

export class PendingSockets {
  private readonly entries = new Map<Socket, Entry>();
  private readonly bySource = new Map<string, Set<Socket>>();
  private readonly tracked = new WeakSet<Socket>();
  private readonly clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;

  constructor(private readonly options: PendingSocketsOptions) {
    this.clock = options.clock;
  }

  /** A new connection: pending from now; the oldest pending one goes if a bound is reached. */
  admit(socket: Socket): void {
    if (!this.tracked.has(socket)) {
      this.tracked.add(socket);
      socket.once('close', () => this.forget(socket));
    }
    this.add(socket);
  }

  /** No longer pending (it identified itself, or is being answered). */
  settle(socket: Socket): void {
    this.forget(socket);
  }

  /** Pending again, with a fresh deadline (a keep-alive connection between two requests). */
  unsettle(socket: Socket): void {
    if (socket.destroyed || this.entries.has(socket) || !this.tracked.has(socket)) return;
    this.add(socket);
  }

  pending(): number {
    return this.entries.size;
  }

  /** Pending sockets of one source. */
  pendingFrom(source: string): number {
    return this.bySource.get(source)?.size ?? 0;
  }

  /** Cuts every pending socket and stops their timers. */
  clear(): void {
    for (const socket of [...this.entries.keys()]) {
      this.forget(socket);
      socket.destroy();
    }
  }

  private add(socket: Socket): void {
    const source = sourceOf(socket);
    let own = this.bySource.get(source);
    if (own && own.size >= this.options.maxPerSource) this.drop(first(own), 'per-source');
    else if (this.entries.size >= this.options.maxPending) this.drop(first(this.entries.keys()), 'full');
    own = this.bySource.get(source) ?? new Set();
    this.bySource.set(source, own);
    own.add(socket);
    const timer = this.clock.setTimeout(() => this.drop(socket, 'deadline'), this.options.deadlineMs, { unref: true });
    this.entries.set(socket, { source, timer });
  }

  private drop(socket: Socket | undefined, cause: DropCause): void {
    if (!socket) return;
    const entry = this.entries.get(socket);
    this.forget(socket);
    socket.destroy();
    if (entry) {
      try {
        this.options.onDrop(socket, entry.source, cause);
      } catch {
        // a reporter's bug never reaches the listener
      }
    }
  }

  private forget(socket: Socket): void {
    const entry = this.entries.get(socket);
    if (!entry) return;
    this.entries.delete(socket);
    this.clock.clearTimeout(entry.timer);
    const own = this.bySource.get(entry.source);
    own?.delete(socket);
    if (own?.size === 0) this.bySource.delete(entry.source);
  }
}

function first<T>(items: Iterable<T>): T | undefined {
  for (const item of items) return item;
  return undefined;
}

/** The remote address of a socket, an IPv4-mapped IPv6 address as plain IPv4; 'unknown' if gone. */
export function sourceOf(socket: Pick<Socket, 'remoteAddress'>): string {
  const address = socket.remoteAddress;
  if (!address) return 'unknown';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
