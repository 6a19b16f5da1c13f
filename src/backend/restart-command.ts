import { describeRun, runProcess } from '../process/run-process.js';

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

/**
 * Runs the command through the process runner: argv, no shell, stdin closed, a time limit
 * (SIGTERM to its group, SIGKILL 5 s later); only the tail of its output is kept however much it
 * prints. Reported when its own process exits, even if it leaves a background child holding its
 * output (`sh -c "napcat-start & echo ok"`). Never rejects.
 */
export const restartCommandRunner: CommandRunner = async (argv, { timeoutMs, outputLimit }) => {
  const result = await runProcess({ command: argv, timeoutMs, tailBytes: outputLimit });
  return {
    exitCode: result.exitCode ?? undefined,
    signal: result.signal ?? undefined,
    timedOut: result.timedOut,
    durationMs: result.durationMs,
    output: result.outputTail,
    truncated: result.truncated,
    ...(result.error ? { error: describeRun(result, argv[0]) as string } : {}),
  };
};
