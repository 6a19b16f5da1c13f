import type { HealthVerdict } from '../health/types.js';
import { readFileSync } from 'node:fs';
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

/** Parses the text of a state file; throws an Error naming the first bad field. */
export function parseState(text: string): StateFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error('not valid JSON');
  }
  const root = object(value, 'the file');
  if (root.version !== STATE_VERSION) throw new Error(`unsupported version ${JSON.stringify(root.version)} (expected ${STATE_VERSION})`);
  const watchdog = object(root.watchdog, 'watchdog');
  const state: StateFile = {
    version: STATE_VERSION,
    updatedAt: string(root.updatedAt, 'updatedAt'),
    watchdog: {
      ...identity(watchdog, 'watchdog'),
      startedAt: string(watchdog.startedAt, 'watchdog.startedAt'),
      version: string(watchdog.version, 'watchdog.version'),
      configFile: watchdog.configFile === null ? null : string(watchdog.configFile, 'watchdog.configFile'),
    },
    state: oneOf(root.state, PHASES, 'state'),
    bot: root.bot === null ? null : bot(object(root.bot, 'bot')),
    ...(root.spawning === undefined || root.spawning === null ? {} : { spawning: spawning(object(root.spawning, 'spawning')) }),
    restarts: count(root.restarts, 'restarts'),
    lastRestart: root.lastRestart === null ? null : lastRestart(object(root.lastRestart, 'lastRestart')),
    lastExit: root.lastExit === null ? null : lastExit(object(root.lastExit, 'lastExit')),
    probes: probes(object(root.probes, 'probes')),
  };
  return state;
}

type Fields = Record<string, unknown>;

function spawning(fields: Fields): NonNullable<StateFile['spawning']> {
  const marker = object(fields.marker, 'spawning.marker');
  return {
    marker: { name: string(marker.name, 'spawning.marker.name'), value: string(marker.value, 'spawning.marker.value') },
    at: string(fields.at, 'spawning.at'),
  };
}

function object(value: unknown, name: string): Fields {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${name}: expected an object`);
  return value as Fields;
}

function string(value: unknown, name: string): string {
  if (typeof value !== 'string') throw new Error(`${name}: expected a string`);
  return value;
}

function integer(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new Error(`${name}: expected a whole number`);
  return value;
}

function count(value: unknown, name: string): number {
  const n = integer(value, name);
  if (n < 0) throw new Error(`${name}: expected a whole number >= 0`);
  return n;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], name: string): T {
  if (!allowed.includes(value as T)) throw new Error(`${name}: expected one of ${allowed.join(', ')}`);
  return value as T;
}

function identity(fields: Fields, name: string): ProcessIdentity {
  const pid = integer(fields.pid, `${name}.pid`);
  if (pid <= 0) throw new Error(`${name}.pid: expected a pid > 0`);
  return {
    pid,
    ...(fields.startTime === undefined ? {} : { startTime: count(fields.startTime, `${name}.startTime`) }),
    ...(fields.bootId === undefined ? {} : { bootId: string(fields.bootId, `${name}.bootId`) }),
  };
}

function bot(fields: Fields): NonNullable<StateFile['bot']> {
  const marker = object(fields.marker, 'bot.marker');
  const command = fields.command;
  if (!Array.isArray(command) || !command.every((part) => typeof part === 'string')) throw new Error('bot.command: expected a list of strings');
  return {
    ...identity(fields, 'bot'),
    startedAt: string(fields.startedAt, 'bot.startedAt'),
    marker: { name: string(marker.name, 'bot.marker.name'), value: string(marker.value, 'bot.marker.value') },
    command: command as string[],
  };
}

function lastRestart(fields: Fields): NonNullable<StateFile['lastRestart']> {
  return { reason: string(fields.reason, 'lastRestart.reason'), at: string(fields.at, 'lastRestart.at') };
}

function lastExit(fields: Fields): NonNullable<StateFile['lastExit']> {
  return {
    pid: integer(fields.pid, 'lastExit.pid'),
    code: fields.code === null ? null : integer(fields.code, 'lastExit.code'),
    signal: fields.signal === null ? null : string(fields.signal, 'lastExit.signal'),
    uptimeMs: count(fields.uptimeMs, 'lastExit.uptimeMs'),
    at: string(fields.at, 'lastExit.at'),
  };
}

function probes(fields: Fields): Record<string, ProbeRecord> {
  const out: Record<string, ProbeRecord> = {};
  for (const [name, value] of Object.entries(fields)) {
    const probe = object(value, `probes.${name}`);
    out[name] = {
      verdict: oneOf(probe.verdict, VERDICTS, `probes.${name}.verdict`),
      ...(probe.reason === undefined ? {} : { reason: string(probe.reason, `probes.${name}.reason`) }),
      ...(probe.latencyMs === undefined ? {} : { latencyMs: count(probe.latencyMs, `probes.${name}.latencyMs`) }),
      at: string(probe.at, `probes.${name}.at`),
      since: string(probe.since, `probes.${name}.since`),
    };
  }
  return out;
}
