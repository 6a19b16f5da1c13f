import { constants } from 'node:os';

/** Exit codes of `bot-watchdog run`; documented in the README. Otherwise the bot's own status is kept. */
export const EXIT = {
  /** Internal error of the watchdog itself. */
  INTERNAL: 1,
  /** Bad config or command line, or another watchdog already runs with the same state file. */
  USAGE: 2,
  /** Gave up: restart.limit restarts within its window. */
  GAVE_UP: 3,
  /** The backend was not ready within startup.timeout. */
  BACKEND_TIMEOUT: 4,
  /** The command was found but could not be executed (as in shells). */
  NOT_EXECUTABLE: 126,
  /** The command was not found (as in shells). */
  NOT_FOUND: 127,
} as const;

/** Exit codes of `bot-watchdog check`. 2 is never used: Docker reserves it. */
export const CHECK_EXIT = { HEALTHY: 0, UNHEALTHY: 1, CANNOT_CHECK: 3 } as const;

/**
 * Exit codes of `bot-watchdog status`, as LSB init scripts use them: 0 the watchdog runs,
 * 1 it is dead although the state file says it was running (killed), 3 it is not running
 * (stopped, or never ran here), 4 unknown (bad config, unreadable state file).
 */
export const STATUS_EXIT = { RUNNING: 0, DEAD: 1, NOT_RUNNING: 3, UNKNOWN: 4 } as const;

/** A status as a shell reports it: the code, or 128 + the signal's number (as tini does). */
export function statusOf(exit: { code: number | null; signal: NodeJS.Signals | null }): number {
  if (exit.code !== null) return exit.code;
  if (exit.signal) return 128 + (constants.signals[exit.signal] ?? 0);
  return EXIT.INTERNAL;
}

export function signalNumber(signal: NodeJS.Signals): number {
  return constants.signals[signal] ?? 0;
}
