import { createRequire } from 'node:module';
import type { CommanderError as CommanderErrorType, Option as OptionType } from 'commander';
import { ConfigError } from './config/config-error.js';
import { LOG_FORMATS, LOG_LEVELS } from './config/constants.js';
import { parseDuration } from './config/duration.js';
import { CHECK_EXIT, EXIT, STATUS_EXIT } from './exit-codes.js';
import type { CheckCommandOptions } from './commands/check.js';
import { packageVersion } from './version.js';

// Only what every command needs is imported here: commander and small modules. zod (the config
// schema), pino and the supervisor are loaded by the commands that use them, so that a one-shot
// `check` starts fast. commander is CommonJS: required, not imported, which spares Node the
// parse of its source for named exports (cjs-module-lexer) on every start.
const require = createRequire(import.meta.url);
const { Command, CommanderError, InvalidArgumentError, Option } = require('commander') as typeof import('commander');

interface RunOptions {
  config?: string;
  logLevel?: (typeof LOG_LEVELS)[number];
  logFormat?: (typeof LOG_FORMATS)[number];
}

interface StatusCliOptions {
  config?: string;
  json?: boolean;
}

/**
 * Parses argv (without node and the script) and runs the command. Resolves with the exit code;
 * never prints a stack trace for bad input.
 */
export async function main(argv: string[]): Promise<number> {
  let exitCode = -1;
  const program = new Command()
    .name('bot-watchdog')
    .description(
      'Keeps an unmodified QQ chat bot alive: supervises its whole process tree, probes its backend ' +
        '(mirai-api-http, OneBot v11) and the bot itself, and restarts it with backoff.',
    )
    .version(packageVersion(), '-v, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .enablePositionalOptions()
    .exitOverride(usageExit(EXIT.USAGE))
    .configureOutput({ outputError: (text, write) => write(text) })
    .showHelpAfterError('(run bot-watchdog --help for usage)');

  program
    .command('run', { isDefault: true })
    .description('start the bot and keep it alive (the default command)')
    .usage('[options] [-- <command> [args...]]')
    .option('-c, --config <file>', 'config file (default: ./watchdog.config.json when present)')
    .addOption(new Option('--log-level <level>', 'override log.level').choices(LOG_LEVELS))
    .addOption(new Option('--log-format <format>', 'override log.format').choices(LOG_FORMATS))
    .argument('[command...]', 'the bot command line; overrides the config\'s "command"')
    .passThroughOptions()
    .addHelpText(
      'after',
      '\nExamples:\n  bot-watchdog run -- python3 main.py\n  bot-watchdog -- python3 main.py\n  bot-watchdog run --config /etc/qchatgpt/watchdog.config.json',
    )
    .action(async (command: string[], options: RunOptions) => {
      exitCode = await run(command, options);
    });

  program
    .command('check')
    .description('run each configured probe once and exit: 0 healthy, 1 unhealthy, 3 could not check')
    .option('-c, --config <file>', 'config file (default: ./watchdog.config.json when present)')
    .option('--json', 'print one JSON object instead of lines')
    .option('--only <probes>', 'run only these probes (comma-separated names, e.g. heartbeat,bot-process)', listOf, undefined)
    .addOption(durationOption('--timeout <duration>', 'longest time the probes may take together', 10_000, '10s', positiveDuration))
    .option('--state <file>', 'remember results between runs in this file (for --failures, --on-unhealthy)')
    .addOption(
      new Option('--failures <n>', 'report unhealthy only after n unhealthy runs in a row (needs --state)').argParser(wholeNumberAtLeast(1)).default(1),
    )
    .option('--on-unhealthy <command>', 'shell command to run (via /bin/sh -c) when unhealthy is reported (needs --state)')
    .addOption(durationOption('--cooldown <duration>', 'do not run --on-unhealthy again within this time', 600_000, '10m', duration))
    .addOption(durationOption('--action-timeout <duration>', 'kill the --on-unhealthy command after this time', 120_000, '2m', positiveDuration))
    .exitOverride(usageExit(CHECK_EXIT.CANNOT_CHECK))
    .addHelpText(
      'after',
      '\nExit codes: 0 healthy, 1 unhealthy, 3 could not check (bad config or options, unreadable state).\n' +
        '\nExamples:\n' +
        '  bot-watchdog check --config /app/watchdog.config.json\n' +
        '  bot-watchdog check --json --only heartbeat\n' +
        '  bot-watchdog check --state /var/tmp/qchatgpt.check.json --failures 3 \\\n' +
        '      --on-unhealthy "systemctl restart qchatgpt" --cooldown 10m',
    )
    .action(async (options: CheckCommandOptions) => {
      const { checkCommand } = await import('./commands/check.js');
      exitCode = await checkCommand(options);
    });

  program
    .command('status')
    .description("show what the state file says: is the watchdog running, its bot, restarts, probe verdicts")
    .option('-c, --config <file>', 'config file (default: ./watchdog.config.json when present)')
    .option('--json', 'print one JSON object instead of lines')
    .exitOverride(usageExit(STATUS_EXIT.UNKNOWN))
    .addHelpText('after', '\nExit codes (as LSB init scripts): 0 running, 1 dead (killed), 3 not running, 4 unknown.')
    .action(async (options: StatusCliOptions) => {
      const { statusCommand } = await import('./commands/status.js');
      exitCode = await statusCommand(options);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with code 0; usage errors were already printed.
      return error.exitCode;
    }
    throw error;
  }
  return exitCode === -1 ? 0 : exitCode;
}

/** Commander's exits become throws, with each command's own code for a usage error. */
function usageExit(code: number): (error: CommanderErrorType) => never {
  return (error) => {
    if (error.exitCode !== 0) error.exitCode = code;
    throw error;
  };
}

function durationOption(flags: string, description: string, ms: number, shown: string, parse: (value: string) => number): OptionType {
  return new Option(flags, description).argParser(parse).default(ms, shown);
}

function listOf(value: string, previous: string[] | undefined): string[] {
  const names = value.split(',').map((name) => name.trim()).filter(Boolean);
  if (names.length === 0) throw new InvalidArgumentError('expected probe names separated by commas.');
  return [...(previous ?? []), ...names];
}

function duration(value: string): number {
  const parsed = parseDuration(value);
  if (parsed === undefined) throw new InvalidArgumentError('expected a duration like "30s", "10m" or a number of milliseconds.');
  return parsed;
}

function positiveDuration(value: string): number {
  const parsed = duration(value);
  if (parsed <= 0) throw new InvalidArgumentError('expected a duration greater than 0.');
  return parsed;
}

function wholeNumberAtLeast(min: number): (value: string) => number {
  return (value) => {
    const parsed = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
    if (!Number.isSafeInteger(parsed) || parsed < min) throw new InvalidArgumentError(`expected a whole number >= ${min}.`);
    return parsed;
  };
}

async function run(command: string[], options: RunOptions): Promise<number> {
  // Through the cache: zod (~5 MB of a long-running watchdog's memory) is loaded only when the config changed.
  const { loadConfigCached } = await import('./config/config-cache.js');
  let config;
  try {
    config = await loadConfigCached({ ...(options.config === undefined ? {} : { configFile: options.config }), command });
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const line of error.problems) process.stderr.write(`${line}\n`);
      return EXIT.USAGE;
    }
    throw error;
  }
  const { createEventLog } = await import('./log/logger.js');
  const logger = createEventLog({
    level: options.logLevel ?? config.log.level,
    format: options.logFormat ?? config.log.format,
    secrets: [config.backend.verifyKey, config.backend.accessToken],
  });
  const [{ runCommand }, { buildPlugins }] = await Promise.all([import('./commands/run.js'), import('./plugins.js')]);
  return runCommand(config, logger, buildPlugins, packageVersion());
}
