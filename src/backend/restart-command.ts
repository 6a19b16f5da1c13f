import { performance } from 'node:perf_hooks';

/** What a `backend.restart.command` run came to. */
export interface RestartCommandResult {
  exitCode: number | undefined;
  signal: string | undefined;
  timedOut: boolean;
  durationMs: number;
  /** The last `outputLimit` bytes of stdout and stderr, interleaved as they came. */
  output: string;
  truncated: boolean;
  /** Set when the command could not be started (not found, not executable). */
  error?: string;
}

export interface RunOptions {
  timeoutMs: number;
  outputLimit: number;
}

export type CommandRunner = (argv: readonly [string, ...string[]], options: RunOptions) => Promise<RestartCommandResult>;

/** After the time limit, SIGTERM; SIGKILL this much later if it is still there. */
const KILL_GRACE_MS = 5000;

/**
 * Runs the command with execa: argv, no shell, stdin closed, a time limit; only the tail of its
 * output is kept however much it prints. Never rejects.
 */
export const execaRunner: CommandRunner = async (argv, { timeoutMs, outputLimit }) => {
  const started = performance.now();
  const tail = new OutputTail(outputLimit);
  const { execa } = await import('execa');
  const [file, ...args] = argv;
  const subprocess = execa(file, args, {
    reject: false,
    buffer: false,
    stdin: 'ignore',
    timeout: timeoutMs,
    killSignal: 'SIGTERM',
    forceKillAfterDelay: KILL_GRACE_MS,
  });
  subprocess.stdout?.on('data', (chunk: Buffer) => tail.push(chunk));
  subprocess.stderr?.on('data', (chunk: Buffer) => tail.push(chunk));
  const result = await subprocess;
  const spawnError = result.failed && result.exitCode === undefined && !result.timedOut && !result.isTerminated;
  const code = (result as { code?: unknown }).code;
  return {
    exitCode: result.exitCode,
    signal: result.signal,
    timedOut: result.timedOut,
    durationMs: Math.round(performance.now() - started),
    ...tail.text(),
    ...(spawnError ? { error: code === 'ENOENT' ? `${file}: command not found` : code === 'EACCES' ? `${file}: permission denied` : firstLine(result.shortMessage) } : {}),
  };
};

/** Keeps the last `limit` bytes of a stream of chunks. */
export class OutputTail {
  private chunks: Buffer[] = [];
  private size = 0;
  private dropped = false;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.chunks.length > 1 && this.size - this.chunks[0]!.length >= this.limit) {
      this.size -= this.chunks.shift()!.length;
      this.dropped = true;
    }
  }

  text(): { output: string; truncated: boolean } {
    const all = Buffer.concat(this.chunks);
    const cut = all.length > this.limit;
    return { output: (cut ? all.subarray(all.length - this.limit) : all).toString('utf8'), truncated: this.dropped || cut };
  }
}

function firstLine(text: string | undefined): string {
  return (text ?? 'could not start').split('\n')[0]!.slice(0, 200);
}
