// probes.link.stall: a bot that stopped reading its link. Each sample gives the receive queue of
// every link connection (bytes the kernel holds that the bot has not read). A queue that is empty,
// or smaller than at the previous sample, shows the bot reading; a queue that holds bytes on every
// sample and never shrinks, for longer than `stall`, is a hung event loop or a blocked reader.
//
// Samples taken every `interval` can miss a busy reader's progress: under a flood the queue of a
// bot that reads is rarely empty, and two samples seconds apart may both catch it full (the bench
// saw "stalls" of two intervals that way). So a stall is only declared after a close look: the
// last `confirm` ms before it would be due are watched sample by sample (every ~20 ms), and one
// shrink seen there is progress. A bot that reads shrinks its queue many times a second; the
// longest stretch without a shrink measured on healthy bots under a flood is in bench/.
import { formatHostPort } from '../../net/listen-address.js';
import type { TreeConnection } from './link-sampler.js';

/** How many queue sizes a stalled connection's evidence carries (spread over the run, first and last included). */
const EVIDENCE_SAMPLES = 10;
const MAX_KEPT = 100;

export interface Stall {
  /** "local ← remote" of the connection. */
  connection: string;
  pid: number;
  /** Time since the bot was last seen reading it: the last sample where its queue was empty or had shrunk. */
  stalledForMs: number;
  /** Bytes waiting now. */
  rxQueue: number;
  /** Queue sizes seen since then, oldest first: at most 10, spread over the run, the first and the latest included. */
  rxQueueSamples: number[];
  /** Samples that saw the bytes waiting and never less than before. */
  samples: number;
}

interface Entry {
  pid: number;
  lastRx: number;
  /** Monotonic time the bot was last seen reading this connection. */
  lastProgressAt: number;
  /** Queue sizes since then (samples that saw bytes waiting). */
  sizes: number[];
  samples: number;
}

/**
 * Per-connection receive-queue history across samples. The stall clock of a connection starts at
 * the last sample that saw it empty or shrinking (for a connection first seen with bytes waiting:
 * the sample before, when it had none that we saw). The probe feeds it every sample; when a
 * connection's stall is due within `confirmMs` (suspect), the probe watches it sample by sample
 * (its close look) for at least `confirmMs` and until the stall is due; a stall is declared only
 * at the end of a close look that saw no shrink. So a stall is caught `stallMs` after it began (when
 * `stallMs` ≥ interval + confirmMs; at most `confirmMs` later otherwise), and a bot that reads is
 * only flagged if its queue does not shrink once during a whole close look.
 */
export class StallTracker {
  private entries = new Map<string, Entry>();
  private previousSampleAt: number | undefined;
  readonly confirmMs: number;

  constructor(
    private readonly stallMs: number,
    /** The close look before a stall is declared. Default: 2 s, at most half of `stallMs`. */
    confirmMs?: number,
  ) {
    this.confirmMs = confirmMs ?? stallConfirmMs(stallMs);
  }

  /** Feeds one sample: every link connection it saw, at monotonic time `now`. */
  update(now: number, connections: TreeConnection[]): void {
    const seen = new Map<string, Entry>();
    for (const c of connections) {
      const key = connectionKey(c);
      if (!seen.has(key)) seen.set(key, this.advance(this.entries.get(key), c, now));
    }
    this.entries = seen;
    this.previousSampleAt = now;
  }

  /** The connection that has held unread bytes, never shrinking, the longest — if longer than `stallMs` (two samples at least). */
  stalled(now: number): Stall | undefined {
    let worst: Stall | undefined;
    for (const [key, entry] of this.entries) {
      const stalledForMs = now - entry.lastProgressAt;
      if (entry.samples < 2 || stalledForMs <= this.stallMs || (worst && stalledForMs <= worst.stalledForMs)) continue;
      worst = { connection: key, pid: entry.pid, stalledForMs, rxQueue: entry.lastRx, rxQueueSamples: spread(entry.sizes, EVIDENCE_SAMPLES), samples: entry.samples };
    }
    return worst;
  }

  /** Whether some connection's stall is due within `confirmMs`: time for a close look. */
  suspect(now: number): boolean {
    for (const entry of this.entries.values()) {
      if (entry.samples > 0 && this.dueAt(entry) - now <= this.confirmMs) return true;
    }
    return false;
  }

  /**
   * Milliseconds until the close look of a connection holding unread bytes should begin (≤ 0: now;
   * undefined: none is on its way). The probe checks again then.
   */
  dueInMs(now: number): number | undefined {
    let due: number | undefined;
    for (const entry of this.entries.values()) {
      if (entry.samples === 0) continue;
      const at = this.dueAt(entry) - this.confirmMs - now;
      due = due === undefined ? at : Math.min(due, at);
    }
    return due;
  }

  /** Forgets everything (a new run of the bot). */
  reset(): void {
    this.entries.clear();
    this.previousSampleAt = undefined;
  }

  /** When a connection holding unread bytes counts as stalled if no sample sees it shrink (monotonic ms). */
  private dueAt(entry: Entry): number {
    return entry.lastProgressAt + this.stallMs + 1;
  }

  private advance(entry: Entry | undefined, c: TreeConnection, now: number): Entry {
    const rx = c.rxQueue;
    if (rx <= 0) return { pid: c.pid, lastRx: 0, lastProgressAt: now, sizes: [], samples: 0 };
    if (!entry) {
      // New to us with bytes already waiting: they arrived after the previous sample at the earliest.
      return { pid: c.pid, lastRx: rx, lastProgressAt: this.previousSampleAt ?? now, sizes: [rx], samples: 1 };
    }
    if (rx < entry.lastRx) return { pid: c.pid, lastRx: rx, lastProgressAt: now, sizes: [rx], samples: 1 };
    let sizes = [...entry.sizes, rx];
    // A long run (a close look samples every ~20 ms) keeps every other size: the evidence spans it all.
    if (sizes.length > 2 * MAX_KEPT) sizes = sizes.filter((_, i) => i % 2 === 0 || i === sizes.length - 1);
    return { pid: c.pid, lastRx: rx, lastProgressAt: entry.lastProgressAt, sizes, samples: entry.samples + 1 };
  }
}

/** The default close look for a stall window: 2 s, at most half of it. */
export function stallConfirmMs(stallMs: number): number {
  return Math.min(2000, Math.floor(stallMs / 2));
}

function connectionKey(c: TreeConnection): string {
  return `${formatHostPort(c.localAddress, c.localPort)} ← ${formatHostPort(c.remoteAddress, c.remotePort)}`;
}

/** At most `count` items of `list`, evenly spread, the first and the last included. */
function spread(list: number[], count: number): number[] {
  if (list.length <= count) return [...list];
  return Array.from({ length: count }, (_, i) => list[Math.round((i * (list.length - 1)) / (count - 1))] as number);
}
