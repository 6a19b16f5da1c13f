import { EventEmitter } from 'node:events';
import type { ChildExit, RunningChild, StopRequest, SupervisorState, TreeMarker } from './types.js';
import type { RestartReason } from './restart-reasons.js';

export interface SupervisorEventMap {
  state: [state: SupervisorState];
  /** Just before the bot is spawned, synchronously: the marker its tree will carry. */
  prespawn: [marker: TreeMarker];
  spawn: [child: RunningChild];
  exit: [child: RunningChild, exit: ChildExit, uptimeMs: number];
  stop: [child: RunningChild, request: StopRequest];
  restart: [info: { reason: RestartReason; attempt: number; delayMs: number }];
  giveup: [info: { restarts: number; windowMs: number }];
}

/** Typed events the supervisor emits for plug-ins (state file, metrics, probes). Probe results go through the health sink. */
export class SupervisorEvents extends EventEmitter<SupervisorEventMap> {
  /** Adds `listener` to `event`; returns the function that removes it. */
  subscribe<K extends keyof SupervisorEventMap>(event: K, listener: (...args: SupervisorEventMap[K]) => void): () => void {
    const emitter = this as unknown as NodeJS.EventEmitter;
    emitter.on(event, listener as (...args: unknown[]) => void);
    return () => emitter.off(event, listener as (...args: unknown[]) => void);
  }
}
