import { describeRun, runProcess } from '../process/run-process.js';
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
  platform?: NodeJS.Platform;
}

/** Bytes of a failed hook's output kept for its `hook.failed` reason (its last line). */
const TAIL_BYTES = 300;

/**
 * Runs a command hook through the process runner: no shell, its own process group. Resolves when
 * its main process exits; never rejects. Past `timeoutMs` (or on abort) the whole group gets
 * SIGKILL. A hook that does not read its stdin, or leaves a helper behind, blocks nothing.
 */
export async function runCommandHook(run: CommandHookRun): Promise<HookOutcome> {
  const program = run.command[0];
  if (program === undefined || program === '') return { ok: false, reason: 'empty command' };
  const result = await runProcess({
    command: run.command,
    cwd: run.cwd,
    env: { ...process.env, ...run.env },
    input: run.input,
    timeoutMs: run.timeoutMs,
    killGraceMs: 0,
    tailBytes: TAIL_BYTES,
    signal: run.signal,
    platform: run.platform,
  });
  if (result.timedOut) return { ok: false, timedOut: true, reason: `no exit within ${run.timeoutMs}ms: killed` };
  const how = describeRun(result, program);
  if (how === undefined) return { ok: true };
  if (result.error) return { ok: false, reason: how };
  const tail = lastLine(result.outputTail);
  return { ok: false, reason: tail ? `${how}: ${tail}` : how };
}

function lastLine(text: string): string {
  const lines = text.split(/\r?\n/).map((line) => line.trim()).filter(Boolean);
  const last = lines[lines.length - 1] ?? '';
  return last.length > 200 ? `${last.slice(0, 197)}...` : last;
}
