import type { HealthVerdict } from '../health/types.js';
import { readFileSync } from 'node:fs';
import * as v from 'valibot';
import { writeFileAtomic } from '../fs/atomic-write.js';
import type { ProcessIdentity } from './identity.js';

/**
 * The state file (`state.file`, default `.bot-watchdog/state.json` beside the config): what a
 * running watchdog last knew, for `status`, `check` and the next `run`. Written atomically with
 * mode 0600 on every transition. Version 1; readers accept unknown extra fields.
 */
export const STATE_VERSION = 1;

/** The supervisor's state, or "stopped" once the watchdog has exited on its own. */
export type WatchdogPhase = 'starting' | 'waiting-backend' | 'running' | 'stopping' | 'backoff' | 'exiting' | 'stopped';
const PHASES: readonly WatchdogPhase[] = ['starting', 'waiting-backend', 'running', 'stopping', 'backoff', 'exiting', 'stopped'];

export type ProbeVerdictName = HealthVerdict;
const VERDICTS: readonly ProbeVerdictName[] = ['healthy', 'unhealthy', 'misconfigured', 'starting', 'unknown'];

export interface ProbeRecord {
  verdict: ProbeVerdictName;
  reason?: string;
  latencyMs?: number;
  /** When this verdict was last reported (ISO 8601). */
  at: string;
  /** When the probe last changed to this verdict. */
  since: string;
}

export interface StateFile {
  version: typeof STATE_VERSION;
  /** ISO 8601 time of this write. */
  updatedAt: string;
  watchdog: ProcessIdentity & {
    startedAt: string;
    version: string;
    configFile: string | null;
  };
  state: WatchdogPhase;
  /** The bot while it runs: enough to find its whole tree again after a crash of the watchdog. */
  bot:
    | (ProcessIdentity & {
        startedAt: string;
        /** The BOT_WATCHDOG_TREE=<value> entry in the bot's environment, inherited by its whole tree. */
        marker: { name: string; value: string };
        command: string[];
      })
    | null;
  /**
   * Written before each spawn, so that a watchdog killed between the spawn and the write of `bot`
   * still leaves what finds the new tree (its marker); cleared once `bot` is written.
   */
  spawning?: { marker: { name: string; value: string }; at: string } | null;
  /** Restarts since this watchdog started. */
  restarts: number;
  lastRestart: { reason: string; at: string } | null;
  lastExit: { pid: number; code: number | null; signal: string | null; uptimeMs: number; at: string } | null;
  probes: Record<string, ProbeRecord>;
}

/** The instance lock beside the state file (see instance-lock.ts). */
export function lockPathFor(stateFile: string): string {
  return `${stateFile}.lock`;
}

export type StateRead =
  | { status: 'ok'; state: StateFile }
  | { status: 'missing' }
  | { status: 'unreadable'; reason: string };

/** Reads and checks the state file. Never throws. */
export function readStateFile(path: string): StateRead {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { status: 'missing' };
    return { status: 'unreadable', reason: code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (error as Error).message };
  }
  try {
    return { status: 'ok', state: parseState(text) };
  } catch (error) {
    return { status: 'unreadable', reason: (error as Error).message };
  }
}

export function writeStateFile(path: string, state: StateFile): void {
  writeFileAtomic(path, `${JSON.stringify(state, null, 2)}\n`);
}

const text = v.string('expected a string');
const whole = v.pipe(v.number('expected a whole number'), v.integer('expected a whole number'));
const count = v.pipe(whole, v.minValue(0, 'expected a whole number >= 0'));
const isObject = (value: unknown) => value !== null && typeof value === 'object' && !Array.isArray(value);
const object = <E extends v.ObjectEntries>(entries: E) => v.pipe(v.custom<object>(isObject, 'expected an object'), v.object(entries));
const oneOf = <T extends string>(allowed: readonly T[]) => v.picklist(allowed, `expected one of ${allowed.join(', ')}`);
const identity = {
  pid: v.pipe(whole, v.minValue(1, 'expected a pid > 0')),
  startTime: v.optional(count),
  bootId: v.optional(text),
};
const marker = object({ name: text, value: text });

/** The state file's shape; unknown extra fields are dropped. */
const STATE = object({
  version: v.literal(STATE_VERSION, (issue) => `unsupported version ${issue.received} (expected ${STATE_VERSION})`),
  updatedAt: text,
  watchdog: object({ ...identity, startedAt: text, version: text, configFile: v.nullable(text) }),
  state: oneOf(PHASES),
  bot: v.nullable(object({ ...identity, startedAt: text, marker, command: v.array(text, 'expected a list of strings') })),
  spawning: v.nullish(object({ marker, at: text })),
  restarts: count,
  lastRestart: v.nullable(object({ reason: text, at: text })),
  lastExit: v.nullable(object({ pid: whole, code: v.nullable(whole), signal: v.nullable(text), uptimeMs: count, at: text })),
  probes: v.record(
    v.string(),
    object({ verdict: oneOf(VERDICTS), reason: v.optional(text), latencyMs: v.optional(count), at: text, since: text }),
  ),
});

/** Parses the text of a state file; throws an Error naming the first bad field. */
export function parseState(text: string): StateFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error('not valid JSON');
  }
  const parsed = v.safeParse(STATE, value, { abortEarly: true });
  if (!parsed.success) {
    const issue = parsed.issues[0];
    throw new Error(`${v.getDotPath(issue) ?? 'the file'}: ${issue.message}`);
  }
  const { spawning, ...state } = parsed.output;
  return spawning ? { ...state, spawning } : state;
}
