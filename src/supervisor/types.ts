import type { Readable } from 'node:stream';
import type { HealthPort } from '../health/health-sink.js';
import type { KillTreeOptions, KillTreeResult } from '../process/kill-tree.js';
import type { TreeMarker, TreeRoot } from '../process/process-tree.js';
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

export type { TreeMarker, TreeRoot } from '../process/process-tree.js';

export type KillTreeRequest = Pick<KillTreeOptions, 'signal' | 'timeout' | 'marker' | 'onSignal'>;
export type KillTreeOutcome = Pick<KillTreeResult, 'pids' | 'forced' | 'survivors'>;

/** Kills a process tree; resolves when nothing of it remains (or reports survivors). */
export type KillTreeFn = (root: TreeRoot, request: KillTreeRequest) => Promise<KillTreeOutcome>;

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

export interface StopRequest {
  reason: RestartReason;
  evidence?: Record<string, unknown>;
}

/** Something that waits for the backend before the bot is started (the backend watcher). */
export interface BackendGate {
  /** Resolves once the backend is ready; resolves early when `signal` aborts. Logs its own progress. */
  waitUntilReady(signal: AbortSignal): Promise<void>;
  isReady(): boolean;
  /** Why the backend is not ready, for the message when startup.timeout gives up. */
  lastReason?(): string | undefined;
}

/** What a plug-in (probes, state writer, status endpoint, metrics) gets: the supervisor's events and the health port. */
export interface SupervisorHandle {
  readonly events: import('./supervisor-events.js').SupervisorEvents;
  /** Where every result and fact goes, and what the sink decided: a plug-in reports, the sink alone restarts. */
  readonly health: HealthPort;
  /** The running bot, if any. */
  current(): RunningChild | undefined;
  state(): SupervisorState;
}

/** A plug-in that runs beside the supervisor for its whole life. */
export interface Plugin {
  readonly name: string;
  start(handle: SupervisorHandle): void | Promise<void>;
  stop(): void | Promise<void>;
}
