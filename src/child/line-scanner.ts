// Splits one output stream of the bot into lines for the output probe. It only reads the chunks
// it is given (the relay passes the same chunks through untouched), keeps at most maxLineBytes
// of an unfinished line, and decodes a line once, when it is complete.
import type { Readable } from 'node:stream';
import type { Clock, TimerHandle } from '../clock/clock.js';

export interface ScannedLine {
  /** The line as text: UTF-8 decoded, ANSI escape sequences and a trailing CR removed. */
  text: string;
  stream: 'stdout' | 'stderr';
  /**
   * An unfinished line seen after `idleMs` without more output (a prompt, a line without a
   * newline before the bot hung). The same line is scanned again, whole, once it is finished
   * (by a newline, or by the end of the stream).
   */
  partial: boolean;
  /**
   * Longer than maxLineBytes: only its beginning is here, cut at a character boundary; the rest
   * of the line is not scanned.
   */
  truncated: boolean;
}

/**
 * Whether the line's end is not here (cut at maxLineBytes, or not finished yet): patterns must
 * not match its end as a line end (output-pattern.ts).
 */
export function isCut(line: ScannedLine): boolean {
  return line.partial || line.truncated;
}

export interface LineScannerOptions {
  stream: 'stdout' | 'stderr';
  /** Times the idle wait for an unfinished line. */
  clock: Pick<Clock, 'now' | 'setTimeout' | 'clearTimeout'>;
  /** An unfinished line is scanned after this long without more output. Default 100 ms. */
  idleMs?: number;
  /** Bytes of one line kept for scanning; the rest of a longer line is skipped. Default 64 KiB. */
  maxLineBytes?: number;
}

const NEWLINE = 0x0a;

/** CSI (colours, cursor moves), OSC (titles, links) and two-byte escapes. */
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

export function stripAnsi(text: string): string {
  return text.includes('\x1b') ? text.replace(ANSI, '') : text;
}

export class LineScanner {
  private readonly stream: 'stdout' | 'stderr';
  private readonly clock: LineScannerOptions['clock'];
  private readonly idleMs: number;
  private readonly maxLineBytes: number;
  /** Bytes of the unfinished line (at most maxLineBytes). */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** The unfinished line went over maxLineBytes: its remaining bytes are skipped. */
  private overflow = false;
  /** The unfinished line was already scanned as partial and nothing was added since. */
  private partialScanned = false;
  private idleTimer: TimerHandle | undefined;
  private lastDataAt = 0;
  private disposed = false;

  constructor(
    private readonly onLine: (line: ScannedLine) => void,
    options: LineScannerOptions,
  ) {
    this.stream = options.stream;
    this.clock = options.clock;
    this.idleMs = options.idleMs ?? 100;
    this.maxLineBytes = options.maxLineBytes ?? 64 * 1024;
  }

  push(chunk: Buffer | string): void {
    if (this.disposed) return;
    const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    let start = 0;
    for (let nl = data.indexOf(NEWLINE, start); nl >= 0; nl = data.indexOf(NEWLINE, start)) {
      this.append(data, start, nl);
      this.emit(false);
      start = nl + 1;
    }
    if (start < data.length) {
      this.append(data, start, data.length);
      this.partialScanned = false;
      this.armIdle();
    }
  }

  /**
   * Scans what is left of an unfinished line: the stream ended, so the line did too (scanned
   * again if it was seen as partial: its end is a line end now).
   */
  flush(): void {
    if (this.pendingBytes > 0 || this.overflow) this.emit(false);
  }

  dispose(): void {
    this.disposed = true;
    this.clock.clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.pending = [];
    this.pendingBytes = 0;
  }

  private append(data: Buffer, from: number, to: number): void {
    if (this.overflow || to <= from) return;
    const room = this.maxLineBytes - this.pendingBytes;
    const end = Math.min(to, from + room);
    if (end > from) {
      // A copy: the chunk's memory belongs to the stream, which may reuse it after this tick.
      this.pending.push(Buffer.from(data.subarray(from, end)));
      this.pendingBytes += end - from;
    }
    if (to - from > room) this.overflow = true;
  }

  /** Scans the pending line: a whole one (and resets), or a partial one (kept to be completed). */
  private emit(partial: boolean): void {
    let bytes = this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending, this.pendingBytes);
    // A cut may fall inside a character: its first bytes are not a U+FFFD of the bot's.
    if (partial || this.overflow) bytes = bytes.subarray(0, completeUtf8Length(bytes));
    let text = bytes.toString('utf8');
    if (text.endsWith('\r')) text = text.slice(0, -1);
    const line: ScannedLine = { text: stripAnsi(text), stream: this.stream, partial, truncated: this.overflow };
    if (partial) {
      this.partialScanned = true;
    } else {
      this.reset();
    }
    try {
      this.onLine(line);
    } catch {
      // A scanner must never break the output relay or the watchdog.
    }
  }

  private reset(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.overflow = false;
    this.partialScanned = false;
  }

  /**
   * At most one timer per idle period, however chatty the bot: more output only moves
   * `lastDataAt`, and the timer, when it fires early, waits for the rest.
   */
  private armIdle(): void {
    this.lastDataAt = this.clock.now();
    if (!this.idleTimer) this.startIdleTimer(this.idleMs);
  }

  private startIdleTimer(ms: number): void {
    this.idleTimer = this.clock.setTimeout(() => {
      this.idleTimer = undefined;
      if (this.disposed || this.partialScanned || (this.pendingBytes === 0 && !this.overflow)) return;
      const quietFor = this.clock.now() - this.lastDataAt;
      if (quietFor < this.idleMs) this.startIdleTimer(this.idleMs - quietFor);
      else this.emit(true);
    }, ms, { unref: true });
  }
}

/**
 * The length of `bytes` without an unfinished UTF-8 sequence at its end (one whose lead byte
 * announces more bytes than are there). Invalid bytes are left alone: they are the bot's.
 */
export function completeUtf8Length(bytes: Uint8Array): number {
  const end = bytes.length;
  for (let i = end - 1; i >= Math.max(0, end - 4); i--) {
    const byte = bytes[i] as number;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: look further back for its lead
    const need = byte >= 0xf0 && byte <= 0xf4 ? 4 : byte >= 0xe0 && byte < 0xf0 ? 3 : byte >= 0xc2 && byte < 0xe0 ? 2 : 1;
    return end - i < need ? i : end;
  }
  return end;
}

/**
 * Listens to a child's stream (the relay keeps passing it through) and calls `onChunk` for every
 * chunk and `onLine` for every line. Returns a function that detaches everything.
 */
export function scanStream(
  readable: Readable | null,
  options: LineScannerOptions & { onLine?: (line: ScannedLine) => void; onChunk?: (bytes: number) => void },
): () => void {
  if (!readable) return () => {};
  const scanner = options.onLine ? new LineScanner(options.onLine, options) : undefined;
  const onData = (chunk: Buffer | string) => {
    try {
      options.onChunk?.(chunk.length);
      scanner?.push(chunk);
    } catch {
      // never let a scanner throw into the stream
    }
  };
  const onEnd = () => scanner?.flush();
  readable.on('data', onData);
  readable.once('end', onEnd);
  return () => {
    readable.off('data', onData);
    readable.off('end', onEnd);
    scanner?.dispose();
  };
}
