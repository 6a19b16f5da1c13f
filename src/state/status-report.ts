import type { ProcessIdentity } from './identity.js';
import type { ProbeRecord, StateFile } from './state-file.js';

/** `status --json` and the status endpoint's `GET /status`: field names are stable (see the README). */
export interface StatusReport {
  stateFile: string | null;
  /** Whether the watchdog runs (the exit code says the same). */
  running: boolean;
  watchdog: {
    pid: number;
    alive: boolean;
    state: StateFile['state'];
    startedAt: string;
    uptimeMs: number | null;
    version: string;
    config: string | null;
  } | null;
  bot: { pid: number; alive: boolean; startedAt: string; uptimeMs: number | null; command: string[] } | null;
  restarts: number;
  lastRestart: StateFile['lastRestart'];
  lastExit: StateFile['lastExit'];
  probes: Record<string, ProbeRecord>;
  updatedAt: string | null;
  error: string | null;
}

/** The report when there is no state to show. */
export const emptyStatusReport = (stateFile: string | null, error: string): StatusReport => ({
  stateFile,
  running: false,
  watchdog: null,
  bot: null,
  restarts: 0,
  lastRestart: null,
  lastExit: null,
  probes: {},
  updatedAt: null,
  error,
});

/**
 * The report of a state: pure. `isAlive` says whether a recorded process still runs (`status`
 * asks /proc; the running watchdog knows its own state is live).
 */
export function buildStatusReport(state: StateFile, stateFile: string, now: number, isAlive: (process: ProcessIdentity) => boolean): StatusReport {
  const uptime = (iso: string): number | null => {
    const at = Date.parse(iso);
    return Number.isFinite(at) ? Math.max(0, now - at) : null;
  };
  const watchdogAlive = isAlive(state.watchdog);
  const botAlive = state.bot ? isAlive(state.bot) : false;
  return {
    stateFile,
    running: watchdogAlive,
    watchdog: {
      pid: state.watchdog.pid,
      alive: watchdogAlive,
      state: state.state,
      startedAt: state.watchdog.startedAt,
      uptimeMs: watchdogAlive ? uptime(state.watchdog.startedAt) : null,
      version: state.watchdog.version,
      config: state.watchdog.configFile,
    },
    bot: state.bot && {
      pid: state.bot.pid,
      alive: botAlive,
      startedAt: state.bot.startedAt,
      uptimeMs: botAlive ? uptime(state.bot.startedAt) : null,
      command: state.bot.command,
    },
    restarts: state.restarts,
    lastRestart: state.lastRestart,
    lastExit: state.lastExit,
    probes: state.probes,
    updatedAt: state.updatedAt,
    error: null,
  };
}
