import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';

/** How much of the action's output is kept and reported (its end, where errors are). */
export const ACTION_OUTPUT_LIMIT = 4096;
/** After the time limit: SIGTERM to the action's process group, SIGKILL this much later. */
const KILL_GRACE_MS = 5000;
/** After the shell exits, how long to wait for the rest of its output. */
const DRAIN_MS = 200;

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
}

/**
 * Runs `--on-unhealthy` as `/bin/sh -c <command>` (so a crontab line can say
 * `--on-unhealthy "systemctl restart qchatgpt"`), in its own process group, with a time limit.
 * Resolves when the shell exits: a process it leaves running in the background (a bot started
 * with `&`) is not waited for, and should have its output redirected.
 */
export function runAction(command: string, options: ActionOptions): Promise<ActionResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    let truncated = false;
    const keep = (chunk: Buffer) => {
      chunks.push(chunk);
      kept += chunk.length;
      while (kept - (chunks[0]?.length ?? 0) >= ACTION_OUTPUT_LIMIT && chunks.length > 1) {
        kept -= chunks.shift()!.length;
        truncated = true;
      }
    };
    const output = (): { output: string; truncated: boolean } => {
      const all = Buffer.concat(chunks);
      const cut = all.length > ACTION_OUTPUT_LIMIT;
      return { output: (cut ? all.subarray(all.length - ACTION_OUTPUT_LIMIT) : all).toString('utf8'), truncated: truncated || cut };
    };

    const child = spawn(options.shell ?? '/bin/sh', ['-c', command], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);

    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const signalGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    };
    const limit = setTimeout(() => {
      timedOut = true;
      signalGroup('SIGTERM');
      signalGroup('SIGCONT');
      killTimer = setTimeout(() => signalGroup('SIGKILL'), KILL_GRACE_MS);
    }, options.timeoutMs);

    let settled = false;
    const finish = (fields: Partial<ActionResult>) => {
      if (settled) return;
      settled = true;
      clearTimeout(limit);
      clearTimeout(killTimer);
      resolve({
        command,
        exitCode: null,
        signal: null,
        timedOut,
        durationMs: Math.round(performance.now() - started),
        ...output(),
        ...fields,
      });
    };
    child.on('error', (error) => finish({ error: error.message }));
    child.on('exit', (code, signal) => {
      clearTimeout(limit);
      // What is still in the pipes arrives shortly; a background process holding them is not waited for.
      const open = [child.stdout, child.stderr].filter((stream) => !stream.closed);
      let drainTimer: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(drainTimer);
        child.stdout.destroy();
        child.stderr.destroy();
        if (timedOut) signalGroup('SIGKILL');
        finish({ exitCode: code, signal });
      };
      if (open.length === 0) return done();
      drainTimer = setTimeout(done, DRAIN_MS);
      let remaining = open.length;
      for (const stream of open) {
        stream.once('close', () => {
          remaining -= 1;
          if (remaining === 0) done();
        });
      }
    });
  });
}
