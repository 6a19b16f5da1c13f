import { LogTap } from '../log/log-tap.js';
import { createRedactor } from '../log/redact.js';
import { HookRunner, type HookLogger, type HookSpec } from './hook-runner.js';
import { postUrlHook } from './post-url-hook.js';
import { runCommandHook } from './run-command-hook.js';

/** How long an exiting watchdog waits for hooks still running (a `restart.giveup` notice…). */
export const HOOK_DRAIN_MS = 5000;

export interface HooksSetup {
  /** Give this to createLogger: every record it writes reaches the hooks. */
  tap: LogTap;
  runner: HookRunner;
  /** Waits for running hooks (at most `HOOK_DRAIN_MS`), then stops them. */
  drain(timeoutMs?: number): Promise<void>;
}

/**
 * The hooks of a config, wired to a log tap: `tap` goes to createLogger, and the runner logs its
 * own `hook.failed` / `hook.dropped` through the logger given later to `attach`. Command hooks run
 * in the config's folder.
 */
export function setUpHooks(options: {
  hooks: readonly HookSpec[];
  baseDir: string;
  secrets: readonly (string | undefined)[];
  version: string;
}): HooksSetup & { attach(logger: HookLogger): void } {
  let logger: HookLogger = { warn: () => {} };
  const runner = new HookRunner({
    hooks: options.hooks,
    redact: createRedactor(options.secrets),
    logger: { warn: (fields, message) => logger.warn(fields, message) },
    effects: {
      runCommand: (run) => runCommandHook({ ...run, cwd: options.baseDir }),
      postUrl: (run) => postUrlHook({ ...run, userAgent: `bot-watchdog/${options.version}` }),
    },
  });
  const tap = new LogTap();
  tap.subscribe((record) => {
    if (typeof record.event === 'string') runner.handle(record as Parameters<HookRunner['handle']>[0]);
  });
  return {
    tap,
    runner,
    attach: (next) => {
      logger = next;
    },
    drain: (timeoutMs = HOOK_DRAIN_MS) => runner.drain(timeoutMs),
  };
}
