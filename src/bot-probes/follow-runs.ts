import type { RunningChild, SupervisorHandle } from '../supervisor/types.js';

/**
 * Follows each run of the bot: `onRun` for the one running now and for every spawn, `onRunEnd`
 * when the run last given to `onRun` exits (its tree is gone by then; the exit of an older run
 * is not its end). Returns the function that stops following.
 */
export function followRuns(handle: SupervisorHandle, onRun: (child: RunningChild) => void, onRunEnd: (child: RunningChild) => void): () => void {
  let current: RunningChild | undefined;
  const run = (child: RunningChild) => {
    current = child;
    onRun(child);
  };
  const offSpawn = handle.events.subscribe('spawn', run);
  const offExit = handle.events.subscribe('exit', (child) => {
    if (current?.pid !== child.pid) return;
    current = undefined;
    onRunEnd(child);
  });
  const running = handle.current();
  if (running) run(running);
  return () => {
    offSpawn();
    offExit();
  };
}
