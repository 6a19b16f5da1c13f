// probes.link.stall: a bot that stopped reading its link. Each sample gives the receive queue of
// every link connection (bytes the kernel holds that the bot has not read). A queue that is empty,
// or smaller than at the previous sample, shows the bot reading; a queue that holds bytes on every
// sample and never shrinks, for longer than `stall`, is a hung event loop or a blocked reader.
import { formatEndpoint, type TreeConnection } from './link-sampler.js';

/** How many queue sizes a stalled connection's evidence carries (the latest). */
const EVIDENCE_SAMPLES = 10;

export interface Stall {
  /** "local ← remote" of the connection. */
  connection: string;
  pid: number;
  /** Time since the bot was last seen reading it: the last sample where its queue was empty or had shrunk. */
  stalledForMs: number;
  /** Bytes waiting now. */
  rxQueue: number;
  /** The queue sizes seen since then, oldest first (at most the last 10). */
  rxQueueSamples: number[];
  /** Samples in a row that saw bytes waiting and never less than before. */
  samples: number;
}

interface Entry {
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
 * the sample before, when it had none that we saw); it fires once at least two samples saw the
 * bytes and none saw them shrink, for longer than `stallMs`. So a stall is caught at most `stallMs`
 * after it began (plus one check), and a bot that reads is never flagged unless it leaves bytes
 * unread for about `stallMs` minus one interval.
 */
export class StallTracker {
  private entries = new Map<string, Entry>();
  private previousSampleAt: number | undefined;

  constructor(private readonly stallMs: number) {}

  /** Feeds one sample (every link connection it saw, at monotonic time `now`); returns the worst stall, if any. */
  update(now: number, connections: TreeConnection[]): Stall | undefined {
    const seen = new Map<string, Entry>();
    let worst: Stall | undefined;
    for (const c of connections) {
      const key = `${formatEndpoint(c.localAddress, c.localPort)} ← ${formatEndpoint(c.remoteAddress, c.remotePort)}`;
      if (seen.has(key)) continue;
      const entry = this.advance(this.entries.get(key), c.rxQueue, now);
      seen.set(key, entry);
      const stalledForMs = now - entry.lastProgressAt;
      if (entry.samples >= 2 && stalledForMs > this.stallMs && (!worst || stalledForMs > worst.stalledForMs)) {
        worst = { connection: key, pid: c.pid, stalledForMs, rxQueue: c.rxQueue, rxQueueSamples: entry.sizes.slice(-EVIDENCE_SAMPLES), samples: entry.samples };
      }
    }
    this.entries = seen;
    this.previousSampleAt = now;
    return worst;
  }

  /**
   * Milliseconds until a connection that holds unread bytes now would count as stalled, if the next
   * samples keep seeing them (undefined: none is on its way). The probe checks again then.
   */
  dueInMs(now: number): number | undefined {
    let due: number | undefined;
    for (const entry of this.entries.values()) {
      if (entry.samples === 0) continue;
      const at = entry.lastProgressAt + this.stallMs + 1 - now;
      due = due === undefined ? at : Math.min(due, at);
    }
    return due;
  }

  /** Forgets everything (a new run of the bot). */
  reset(): void {
    this.entries.clear();
    this.previousSampleAt = undefined;
  }

  private advance(entry: Entry | undefined, rx: number, now: number): Entry {
    if (rx <= 0) return { lastRx: 0, lastProgressAt: now, sizes: [], samples: 0 };
    if (!entry) {
      // New to us with bytes already waiting: they arrived after the previous sample at the earliest.
      return { lastRx: rx, lastProgressAt: this.previousSampleAt ?? now, sizes: [rx], samples: 1 };
    }
    if (rx < entry.lastRx) return { lastRx: rx, lastProgressAt: now, sizes: [rx], samples: 1 };
    entry.sizes.push(rx);
    if (entry.sizes.length > EVIDENCE_SAMPLES) entry.sizes.shift();
    return { ...entry, lastRx: rx, samples: entry.samples + 1 };
  }
}
