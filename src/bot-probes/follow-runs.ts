import type { RunningChild, SupervisorHandle } from '../supervisor/types.js';

/**
 * Follows each run of the bot: `onRun` for the one running now and for every spawn, `onRunEnd`
 * when a run exits (its tree is gone by then). Returns the function that stops following.
 */
export function followRuns(
  handle: SupervisorHandle,
  onRun: (child: RunningChild) => void,
  onRunEnd: (child: RunningChild) => void,
): () => void {
  const spawned = (child: RunningChild) => onRun(child);
  const exited = (child: RunningChild) => onRunEnd(child);
  handle.events.on('spawn', spawned);
  handle.events.on('exit', exited);
  const running = handle.current();
  if (running) onRun(running);
  return () => {
    handle.events.off('spawn', spawned);
    handle.events.off('exit', exited);
  };
}
