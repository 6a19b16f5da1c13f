import { ConfigError } from '../config/config-error.js';
import { effectiveConfig } from '../config/effective-config.js';
import { loadConfig } from '../config/load-config.js';
import { EXIT } from '../exit-codes.js';

/**
 * `bot-watchdog config`: prints the effective config as JSON on stdout (defaults applied,
 * durations in milliseconds, secrets as "***"); a bad config is reported as `run` reports it (exit 2).
 */
export function configCommand(options: { config?: string }): number {
  try {
    const config = loadConfig({ configFile: options.config, requireCommand: false });
    process.stdout.write(`${JSON.stringify(effectiveConfig(config), null, 2)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const line of error.problems) process.stderr.write(`${line}\n`);
      return EXIT.USAGE;
    }
    throw error;
  }
}
