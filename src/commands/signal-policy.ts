/**
 * What `run` does with every signal a supervisor can receive (docs/supervision.md, "Signals").
 * Node's defaults are wrong for a supervisor: SIGUSR1 opens the inspector on 127.0.0.1:9229 (any
 * local user could then run code as us), and SIGUSR2, SIGALRM, SIGPROF… end the watchdog at once,
 * leaving the bot running unsupervised. Here each one is decided:
 *
 * - `stop`: a graceful stop of the tree, as SIGTERM (the supervisor's `shutdown`).
 * - `restart`: SIGHUP, restart the bot now.
 * - `ignore`: logged (`watchdog.signal`, at most one line per signal a minute) and otherwise ignored.
 *
 * Signals not in the table keep their default on purpose (see `LEFT_AT_DEFAULT`).
 */
import { SourceLog } from '../net/source-log.js';

export type SignalAction = 'stop' | 'restart' | 'ignore';

export const SIGNAL_POLICY: Readonly<Partial<Record<NodeJS.Signals, SignalAction>>> = {
  SIGTERM: 'stop',
  SIGINT: 'stop',
  SIGQUIT: 'stop',
  // The kernel sends SIGXCPU at the soft CPU limit and SIGKILL at the hard one: stop while we can.
  SIGXCPU: 'stop',
  // LXC stops a container by sending SIGPWR to its init; a UPS daemon sends it before power goes.
  SIGPWR: 'stop',
  // Someone asked this process to abort: it goes, but the bot tree goes with it.
  SIGABRT: 'stop',
  SIGHUP: 'restart',
  // Log-rotation scripts send SIGUSR1/SIGUSR2 to "reopen logs": ours go to stderr, nothing to reopen.
  SIGUSR1: 'ignore',
  SIGUSR2: 'ignore',
  SIGALRM: 'ignore',
  SIGVTALRM: 'ignore',
  SIGPROF: 'ignore',
  SIGTRAP: 'ignore',
  SIGSTKFLT: 'ignore',
  SIGIO: 'ignore',
  SIGSYS: 'ignore',
  // A write past RLIMIT_FSIZE then fails with EFBIG, which the log sink absorbs.
  SIGXFSZ: 'ignore',
  // Ctrl-Z: a suspended supervisor supervises nothing (the bot, in its own group, would run on).
  SIGTSTP: 'ignore',
};

/**
 * Kept at their default, with the reason (the signals table says the same):
 * - SIGPIPE: Node ignores it, so a write to a closed pipe fails with EPIPE; a listener would turn
 *   every such write (logging included) into a signal.
 * - SIGTTIN, SIGTTOU: job control stops the watchdog (SIGCONT resumes it), as SIGSTOP would; caught,
 *   a background watchdog writing to a terminal with `stty tostop` would spin (the kernel resends
 *   the signal on every retried write).
 * - SIGWINCH, SIGURG, SIGCHLD, SIGCONT: ignored by default.
 * - SIGSEGV, SIGBUS, SIGFPE, SIGILL: a real one leaves the process unable to run JavaScript safely;
 *   the watchdog dies and the next `run` stops the bot it left behind.
 * - SIGKILL, SIGSTOP, real-time signals: cannot be caught by Node.
 */
export const LEFT_AT_DEFAULT = ['SIGPIPE', 'SIGTTIN', 'SIGTTOU', 'SIGWINCH', 'SIGURG', 'SIGCHLD', 'SIGCONT', 'SIGSEGV', 'SIGBUS', 'SIGFPE', 'SIGILL'] as const;

/** Lines about one ignored signal: at most one per this window, with the count since the last. */
export const IGNORED_LOG_WINDOW_MS = 60_000;

export interface SignalTarget {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

export interface SignalHandlers {
  stop(signal: NodeJS.Signals): void;
  restart(signal: NodeJS.Signals): void;
  /** An ignored signal, with how many arrived since the last call for it (rate-limited). */
  ignored(signal: NodeJS.Signals, count: number): void;
}

/**
 * Installs a listener for every signal of the table on `target` (the process); returns the
 * function that removes them all. `now` is monotonic milliseconds (the Clock's).
 */
export function installSignalPolicy(target: SignalTarget, handlers: SignalHandlers, now: () => number): () => void {
  // The same rate limit as for refused connections, with the signal as the source.
  const ignored = new SourceLog((signal, _reason, count) => handlers.ignored(signal as NodeJS.Signals, count), now, IGNORED_LOG_WINDOW_MS);
  const listener = (signal: NodeJS.Signals) => {
    const action = SIGNAL_POLICY[signal];
    if (action === 'stop') return handlers.stop(signal);
    if (action === 'restart') return handlers.restart(signal);
    ignored.note(signal, 'ignored');
  };
  const signals = Object.keys(SIGNAL_POLICY) as NodeJS.Signals[];
  for (const signal of signals) target.on(signal, listener);
  return () => {
    for (const signal of signals) target.off(signal, listener);
  };
}
