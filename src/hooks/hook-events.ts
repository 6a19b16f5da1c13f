/**
 * The log events a hook may name in `on` (besides "*"): the README's "Log events" table.
 * A stand-in until the typed event catalogue exists; then this list comes from there.
 * `hook.*` events are not here: they are never passed to hooks (a failing hook on "*" would
 * otherwise feed on its own failures).
 */
export const HOOK_EVENT_NAMES = [
  'watchdog.start',
  'watchdog.shutdown',
  'watchdog.force',
  'watchdog.pid1',
  'watchdog.exit',
  'watchdog.duplicate',
  'watchdog.crash',
  'watchdog.error',
  'watchdog.sighup',
  'child.spawn',
  'child.exit',
  'child.stop',
  'child.kill',
  'child.error',
  'child.survivors',
  'restart.scheduled',
  'restart.skipped',
  'restart.giveup',
  'backend.waiting',
  'backend.ready',
  'backend.down',
  'backend.blip',
  'backend.timeout',
  'backend.account-offline',
  'backend.account-online',
  'probe.failed',
  'probe.recovered',
  'probe.misconfigured',
  'probe.disabled',
  'probe.link.target',
  'ws.lost',
  'ws.up',
  'ws.retry',
  'ws.heartbeat',
  'config.ignored',
  'orphan.found',
  'orphan.stopped',
  'orphan.survivors',
  'orphan.unverifiable',
  'state.error',
  'state.written',
  'state.unreadable',
  'monitor.error',
] as const;

/** Events of the hook runner itself: logged, never passed to a hook. */
export const HOOK_OWN_EVENT_PREFIX = 'hook.';

/** `on` accepts these names and "*" (every event but the hook runner's own). */
export const HOOK_ANY_EVENT = '*';
