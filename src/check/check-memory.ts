import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../fs/atomic-write.js';

/**
 * What `check --state <file>` remembers between runs (from cron, say): how many runs in a row
 * found the bot unhealthy, and when the `--on-unhealthy` action last ran, so `--failures N`
 * and `--cooldown` can work across separate processes.
 */
export type RunVerdict = 'healthy' | 'unhealthy' | 'cannot-check';

export interface ActionRecord {
  command: string;
  startedAt: string;
  /** Absent while the action runs (or if check was killed during it). */
  exitCode?: number | null;
  signal?: string | null;
  timedOut?: boolean;
  durationMs?: number;
}

export interface CheckMemory {
  version: 1;
  /** Unhealthy runs in a row; a healthy run resets it, a run that could not check leaves it. */
  consecutiveFailures: number;
  /** First run of the current unhealthy streak. */
  failingSince: string | null;
  lastRun: { at: string; verdict: RunVerdict } | null;
  lastAction: ActionRecord | null;
}

export const EMPTY_MEMORY: CheckMemory = { version: 1, consecutiveFailures: 0, failingSince: null, lastRun: null, lastAction: null };

export type MemoryRead = { status: 'ok'; memory: CheckMemory } | { status: 'unreadable'; reason: string };

/** Reads the memory file; a missing file is an empty memory. Never throws. */
export function readMemory(path: string): MemoryRead {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { status: 'ok', memory: { ...EMPTY_MEMORY } };
    return { status: 'unreadable', reason: code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (error as Error).message };
  }
  try {
    return { status: 'ok', memory: parseMemory(text) };
  } catch (error) {
    return { status: 'unreadable', reason: (error as Error).message };
  }
}

export function writeMemory(path: string, memory: CheckMemory): void {
  writeFileAtomic(path, `${JSON.stringify(memory, null, 2)}\n`);
}

function parseMemory(text: string): CheckMemory {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Error('not valid JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('expected a JSON object');
  if (value.version !== 1) throw new Error(`unsupported version ${JSON.stringify(value.version)}`);
  const failures = value.consecutiveFailures;
  if (typeof failures !== 'number' || !Number.isInteger(failures) || failures < 0) throw new Error('consecutiveFailures: expected a whole number >= 0');
  const lastRun = value.lastRun as CheckMemory['lastRun'];
  if (lastRun !== null && (typeof lastRun !== 'object' || typeof lastRun.at !== 'string')) throw new Error('lastRun: expected an object or null');
  const lastAction = value.lastAction as CheckMemory['lastAction'];
  if (lastAction !== null && (typeof lastAction !== 'object' || typeof lastAction.startedAt !== 'string' || typeof lastAction.command !== 'string')) {
    throw new Error('lastAction: expected an object or null');
  }
  const failingSince = value.failingSince;
  if (failingSince !== null && typeof failingSince !== 'string') throw new Error('failingSince: expected a string or null');
  return { version: 1, consecutiveFailures: failures, failingSince, lastRun, lastAction };
}

export interface CheckDecision {
  memory: CheckMemory;
  /** What the exit code says: unhealthy only from the threshold on. */
  status: RunVerdict;
  /** Whether the --on-unhealthy action may run now. */
  action: { run: true } | { run: false; skipped: 'not-unhealthy' | 'cooldown'; nextAllowedAt?: string };
}

/**
 * Folds this run's verdict into the memory: the streak of unhealthy runs, the status to report
 * (`failures` unhealthy runs in a row before "unhealthy"), and whether the action may run
 * (not within `cooldownMs` of its last start). Pure.
 */
export function decide(previous: CheckMemory, verdict: RunVerdict, options: { failures: number; cooldownMs: number; now: number }): CheckDecision {
  const at = new Date(options.now).toISOString();
  const memory: CheckMemory = { ...previous, lastRun: { at, verdict } };
  if (verdict === 'healthy') {
    memory.consecutiveFailures = 0;
    memory.failingSince = null;
  } else if (verdict === 'unhealthy') {
    memory.consecutiveFailures = previous.consecutiveFailures + 1;
    memory.failingSince = previous.consecutiveFailures > 0 && previous.failingSince ? previous.failingSince : at;
  }
  // A run that could not check says nothing about the bot: the streak stays as it was.
  const status: RunVerdict =
    verdict === 'unhealthy' && memory.consecutiveFailures < options.failures ? 'healthy' : verdict;
  if (status !== 'unhealthy') return { memory, status, action: { run: false, skipped: 'not-unhealthy' } };
  const last = previous.lastAction ? Date.parse(previous.lastAction.startedAt) : NaN;
  if (Number.isFinite(last) && options.now - last < options.cooldownMs && options.now >= last) {
    return { memory, status, action: { run: false, skipped: 'cooldown', nextAllowedAt: new Date(last + options.cooldownMs).toISOString() } };
  }
  return { memory, status, action: { run: true } };
}
