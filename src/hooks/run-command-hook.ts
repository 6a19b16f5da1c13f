import { spawn } from 'node:child_process';
import type { HookOutcome } from './hook-outcome.js';

export interface CommandHookRun {
  command: readonly string[];
  cwd: string;
  /** Added to the watchdog's own environment. */
  env: Record<string, string>;
  /** Written to stdin, then stdin is closed. */
  input: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

const TAIL_BYTES = 300;

/**
 * Runs a command hook without a shell, in its own process group. Resolves when its main process
 * exits; never rejects. Past `timeoutMs` (or on abort) the whole group gets SIGKILL. A hook that
 * does not read its stdin, or leaves a helper behind, blocks nothing.
 */
export function runCommandHook(run: CommandHookRun): Promise<HookOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    let timedOut = false;
    let output = '';
    const [program, ...args] = run.command;
    if (program === undefined || program === '') {
      resolve({ ok: false, reason: 'empty command' });
      return;
    }
    const child = spawn(program, args, {
      cwd: run.cwd,
      env: { ...process.env, ...run.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const keepTail = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-TAIL_BYTES);
    };
    child.stdout.on('data', keepTail);
    child.stderr.on('data', keepTail);
    child.stdin.on('error', () => {}); // a hook that exits without reading: EPIPE is fine
    child.stdin.end(run.input);

    const killGroup = () => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, run.timeoutMs);
    timer.unref?.();
    const onAbort = () => killGroup();
    run.signal?.addEventListener('abort', onAbort, { once: true });

    const finish = (outcome: HookOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      run.signal?.removeEventListener('abort', onAbort);
      // A helper the hook left behind may still hold the pipes: stop reading them.
      child.stdout.destroy();
      child.stderr.destroy();
      resolve(outcome);
    };
    child.once('error', (error: NodeJS.ErrnoException) => {
      finish({ ok: false, reason: `could not start ${program}: ${error.code ?? error.message}` });
    });
    child.once('exit', (code, signal) => {
      if (timedOut) return finish({ ok: false, timedOut: true, reason: `no exit within ${run.timeoutMs}ms: killed` });
      if (code === 0) return finish({ ok: true });
      const tail = lastLine(output);
      const how = code === null ? `killed by ${signal ?? 'a signal'}` : `exit code ${code}`;
      finish({ ok: false, reason: tail ? `${how}: ${tail}` : how });
    });
  });
}

function lastLine(text: string): string {
  const lines = text.split(/\r?\n/).map((line) => line.trim()).filter(Boolean);
  const last = lines[lines.length - 1] ?? '';
  return last.length > 200 ? `${last.slice(0, 197)}...` : last;
}
