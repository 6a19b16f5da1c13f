import type { EventLog } from '../log/events.js';
import { createRedactor } from '../log/redact.js';
import { HookRunner, type HookSpec } from './hook-runner.js';
import { postUrlHook } from './post-url-hook.js';
import { runCommandHook } from './run-command-hook.js';

/** How long an exiting watchdog waits for hooks still running (a `restart.giveup` notice…). */
export const HOOK_DRAIN_MS = 5000;

export interface HooksSetup {
  runner: HookRunner;
  /** Waits for running hooks (at most `HOOK_DRAIN_MS`), then stops them. */
  drain(timeoutMs?: number): Promise<void>;
}

/**
 * The hooks of a config, fed by the event log: every event (whatever log.level lets through to
 * the log) reaches the runner; its own `hook.failed` / `hook.dropped` go to the same log. Command
 * hooks run in the config's folder.
 */
export function setUpHooks(
  options: { hooks: readonly HookSpec[]; baseDir: string; secrets: readonly (string | undefined)[]; version: string },
  log: EventLog,
): HooksSetup {
  const runner = new HookRunner({
    hooks: options.hooks,
    redact: createRedactor(options.secrets),
    logger: log,
    effects: {
      runCommand: (run) => runCommandHook({ ...run, cwd: options.baseDir }),
      postUrl: (run) => postUrlHook({ ...run, userAgent: `bot-watchdog/${options.version}` }),
    },
  });
  log.on((record) => runner.handle(record));
  return { runner, drain: (timeoutMs = HOOK_DRAIN_MS) => runner.drain(timeoutMs) };
}
