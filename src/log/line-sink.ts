import { fstatSync, writeSync } from 'node:fs';
import type { Writable } from 'node:stream';

/**
 * Where log lines go, built so that logging can never stop supervision:
 * - never blocks: a pipe is written through Node's non-blocking stream (process.stderr), a file
 *   or device with one write(2) per line;
 * - bounded: while the reader does not keep up, at most `maxBufferedBytes` wait in memory; lines
 *   beyond that are dropped and counted, and once the sink takes lines again the first one says
 *   how many were lost (`log.dropped`);
 * - write errors (a full disk, /dev/full, a closed pipe) are ignored, never thrown.
 */
export interface LineSink {
  /** Queues or writes one line (with its newline). Never throws, never blocks. */
  write(line: string): void;
  /** Resolves once everything queued is written, or after `timeoutMs`, whichever comes first. */
  flush(timeoutMs: number): Promise<void>;
  /** Lines dropped and not yet reported. */
  readonly pendingDropped: number;
}

export interface LineSinkOptions {
  /** A stream (process.stderr when it is a pipe, socket or terminal) or a file descriptor. */
  target: { stream: Writable } | { fd: number };
  /** Default 1 MiB. */
  maxBufferedBytes?: number;
  /** The line that reports `count` lost lines, in the sink's format (ends with a newline). */
  droppedLine: (count: number) => string;
}

const DEFAULT_MAX_BUFFERED = 1024 * 1024;

/** The target for fd 2: process.stderr for pipes, sockets and terminals, else the descriptor. */
export function stderrTarget(): LineSinkOptions['target'] {
  try {
    const stat = fstatSync(2);
    if (stat.isFIFO() || stat.isSocket() || process.stderr.isTTY === true) return { stream: process.stderr };
  } catch {
    // fd 2 closed: writes fail and are ignored
  }
  return { fd: 2 };
}

export function createLineSink(options: LineSinkOptions): LineSink {
  return 'stream' in options.target
    ? new StreamSink(options.target.stream, options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED, options.droppedLine)
    : new FdSink(options.target.fd, options.droppedLine);
}

class StreamSink implements LineSink {
  pendingDropped = 0;

  constructor(
    private readonly stream: Writable,
    private readonly max: number,
    private readonly droppedLine: (count: number) => string,
  ) {
    // EPIPE and the like: the stream is destroyed and the lines are lost, nothing else happens.
    stream.on('error', () => {});
    // The reader caught up: report what was lost at once, not only with the next line. Each
    // written line's callback checks (one shared function), and so does 'drain' (which comes
    // only after a refused write, e.g. of the bot's output relayed to the same stream).
    stream.on('drain', this.onWritten);
  }

  private readonly onWritten = (): void => {
    if (this.pendingDropped > 0) this.reportDropped();
  };

  write(line: string): void {
    if (this.stream.destroyed || this.stream.writableEnded) return;
    this.reportDropped();
    if (this.pendingDropped > 0 || this.stream.writableLength + Buffer.byteLength(line) > this.max) {
      this.pendingDropped += 1;
      return;
    }
    this.stream.write(line, this.onWritten);
  }

  /** Once the backlog is down to half the bound, one line says how many were lost. */
  private reportDropped(): void {
    if (this.pendingDropped === 0 || this.stream.destroyed || this.stream.writableLength > this.max / 2) return;
    const count = this.pendingDropped;
    this.pendingDropped = 0;
    this.stream.write(this.droppedLine(count), this.onWritten);
  }

  flush(timeoutMs: number): Promise<void> {
    return drain(this.stream, timeoutMs);
  }
}

class FdSink implements LineSink {
  pendingDropped = 0;
  /** A line went out only in part: the next write starts a fresh line. */
  private cut = false;

  constructor(
    private readonly fd: number,
    private readonly droppedLine: (count: number) => string,
  ) {}

  write(line: string): void {
    if (this.pendingDropped > 0) {
      if (!this.writeAll(this.droppedLine(this.pendingDropped))) {
        this.pendingDropped += 1;
        return;
      }
      this.pendingDropped = 0;
    }
    if (!this.writeAll(line)) this.pendingDropped += 1;
  }

  /** One line, whole; false when the sink refused it (ENOSPC, EAGAIN, EBADF…). */
  private writeAll(text: string): boolean {
    const bytes = Buffer.from(this.cut ? `\n${text}` : text);
    let offset = 0;
    try {
      while (offset < bytes.length) offset += writeSync(this.fd, bytes, offset, bytes.length - offset);
      this.cut = false;
      return true;
    } catch {
      if (offset === 0) return false;
      // A part went out (a long line into an almost full pipe): the rest is lost, not the line.
      this.cut = true;
      return true;
    }
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }
}

/** Waits until `stream` has written everything queued, or `timeoutMs`, or it fails or closes. */
export async function drain(stream: Writable, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // 'drain' only comes after a write that was refused: poll, briefly, at exit only.
  while (!stream.destroyed && stream.writableLength > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
