import { runProcess } from '../process/run-process.js';

/** How much of the action's output is kept and reported (its end, where errors are). */
export const ACTION_OUTPUT_LIMIT = 4096;

export interface ActionResult {
  command: string;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  /** The last ACTION_OUTPUT_LIMIT bytes of stdout and stderr, interleaved as they came. */
  output: string;
  truncated: boolean;
  /** Set when the shell could not be started at all. */
  error?: string;
}

export interface ActionOptions {
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  shell?: string;
  platform?: NodeJS.Platform;
}

/**
 * Runs `--on-unhealthy` as `/bin/sh -c <command>` (so a crontab line can say
 * `--on-unhealthy "systemctl restart qchatgpt"`) through the process runner: its own process
 * group, a time limit (then SIGTERM to the group, SIGKILL 5 s later). Resolves when the shell
 * exits: a process it leaves running in the background (a bot started with `&`) is not waited
 * for, even while it holds the shell's output pipe.
 */
export async function runAction(command: string, options: ActionOptions): Promise<ActionResult> {
  const result = await runProcess({
    command: [options.shell ?? '/bin/sh', '-c', command],
    cwd: options.cwd,
    env: options.env,
    timeoutMs: options.timeoutMs,
    tailBytes: ACTION_OUTPUT_LIMIT,
    platform: options.platform,
  });
  return {
    command,
    exitCode: result.exitCode,
    signal: result.signal,
    timedOut: result.timedOut,
    durationMs: result.durationMs,
    output: result.outputTail,
    truncated: result.truncated,
    ...(result.error ? { error: result.error.message } : {}),
  };
}
