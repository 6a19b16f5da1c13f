import type { Readable } from 'node:stream';
import type { RestartReason } from './restart-reasons.js';

/** How a bot process ended. `error` is set when it could not be started at all. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: { code?: string; message: string };
}

/** A spawned bot, as the supervisor's spawn dependency returns it. */
export interface ChildHandle {
  pid: number | undefined;
  stdout: Readable | null;
  stderr: Readable | null;
  /** Settles once, when the main process has exited (never rejects), even if a helper still holds its pipes. */
  exited: Promise<ChildExit>;
  /** Settles once nothing holds the bot's stdout/stderr any more (all its output was read). */
  outputClosed?: Promise<void>;
}

export interface SpawnSpec {
  command: [string, ...string[]];
  cwd: string;
  env: Record<string, string>;
}

export interface TreeMarker {
  name: string;
  value: string;
}

export interface KillTreeRequest {
  signal: NodeJS.Signals;
  timeout: number;
  marker?: TreeMarker;
  onSignal?: (pids: number[], signal: NodeJS.Signals) => void;
}

export interface KillTreeOutcome {
  pids: number[];
  forced: boolean;
  survivors: number[];
}

/** Kills a process tree; resolves when nothing of it remains (or reports survivors). */
export type KillTreeFn = (root: { pid: number; pgid?: number; startTime?: number }, request: KillTreeRequest) => Promise<KillTreeOutcome>;

export type { Clock } from '../clock/clock.js';

/** The bot while it runs, as plug-ins see it. */
export interface RunningChild {
  pid: number;
  /** Start time from /proc (clock ticks since boot) where available: a reused pid is not the bot. */
  startTime: number | undefined;
  spawnedAt: number;
  stdout: Readable | null;
  stderr: Readable | null;
  marker: TreeMarker;
}

export type SupervisorState = 'starting' | 'waiting-backend' | 'running' | 'stopping' | 'backoff' | 'exiting';

/** A probe's latest verdict, reported to the supervisor so the state file and status can show it. */
export interface ProbeReport {
  probe: string;
  verdict: 'healthy' | 'unhealthy' | 'misconfigured' | 'unknown';
  reason?: string;
  latencyMs?: number;
  at: number;
}

export interface StopRequest {
  reason: RestartReason;
  evidence?: Record<string, unknown>;
}

/** Something that waits for the backend before the bot is started (the backend monitor). */
export interface BackendGate {
  /** Resolves once the backend is ready; resolves early when `signal` aborts. Logs its own progress. */
  waitUntilReady(signal: AbortSignal): Promise<void>;
  isReady(): boolean;
  /** Why the backend is not ready, for the message when startup.timeout gives up. */
  lastReason?(): string | undefined;
}

/** What a plug-in (probe, state writer, metrics) gets from the supervisor. */
export interface SupervisorHandle {
  readonly events: import('./supervisor-events.js').SupervisorEvents;
  /** Asks for the running bot to be stopped and restarted. Ignored (false) when no bot runs. */
  requestRestart(reason: RestartReason, evidence?: Record<string, unknown>): boolean;
  /** The running bot, if any. */
  current(): RunningChild | undefined;
  reportProbe(report: ProbeReport): void;
  state(): SupervisorState;
}

/** A plug-in that runs beside the supervisor for its whole life. */
export interface Monitor {
  readonly name: string;
  start(handle: SupervisorHandle): void | Promise<void>;
  stop(): void | Promise<void>;
}
