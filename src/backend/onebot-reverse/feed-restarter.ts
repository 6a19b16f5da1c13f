import type { BackendProblem } from '../backend-restarter.js';
import type { OneBotReverseBackend } from './backend.js';

/**
 * Tells a BackendRestarter what NapCat's link and account say: `down` from a confirmed outage
 * until the next `ready`, `account-offline` until `account-online`. A blip (a drop that NapCat
 * repaired by reconnecting) is not a problem. Returns a function that stops the feed.
 */
export function feedRestarter(backend: OneBotReverseBackend, restarter: { report(problem: BackendProblem | undefined): void }): () => void {
  let down = false;
  let offline = false;
  const update = () => restarter.report(down ? 'down' : offline ? 'account-offline' : undefined);
  const listeners = {
    ready: () => ((down = false), update()),
    down: () => ((down = true), update()),
    'account-offline': () => ((offline = true), update()),
    'account-online': () => ((offline = false), update()),
  } as const;
  for (const [name, fn] of Object.entries(listeners)) backend.on(name as keyof typeof listeners, fn);
  return () => {
    for (const [name, fn] of Object.entries(listeners)) backend.off(name as keyof typeof listeners, fn);
  };
}
