import { EVENT_NAMES } from '../log/events.js';

/**
 * The log events a hook may name in `on` (besides "*"): the event catalogue. `hook.*` events are
 * not here: they are never passed to hooks (a failing hook on "*" would otherwise feed on its own
 * failures).
 */
export const HOOK_EVENT_NAMES: readonly string[] = EVENT_NAMES.filter((name) => !name.startsWith('hook.'));

/** Events of the hook runner itself: logged, never passed to a hook. */
export const HOOK_OWN_EVENT_PREFIX = 'hook.';

/** `on` accepts these names and "*" (every event but the hook runner's own). */
export const HOOK_ANY_EVENT = '*';
