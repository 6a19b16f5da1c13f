import { createRequire } from 'node:module';
import type { Command as CommandType, CommanderError as CommanderErrorType, Option as OptionType } from 'commander';
import { strayCommandWord, strayWordMessage } from './cli-stray-word.js';
import { ConfigError } from './config/config-error.js';
import { LOG_FORMATS, LOG_LEVELS, PRESET_NAMES } from './config/constants.js';
import { parseDuration } from './config/duration.js';
import { CHECK_EXIT, EXIT, STATUS_EXIT } from './exit-codes.js';
import type { CheckCommandOptions } from './commands/check.js';
import { packageVersion } from './version.js';

// Only what every command needs is imported here: commander and small modules. The config
// schema, pino and the supervisor are loaded by the commands that use them, so that a one-shot
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
  const program = createProgram((code) => {
    exitCode = code;
  });
  // A word where a subcommand belongs is a typo or a program to supervise: never guess which.
  const runCommandSpec = program.commands.find((command) => command.name() === 'run') as CommandType;
  const stray = strayCommandWord(argv, program, runCommandSpec);
  if (stray) {
    process.stderr.write(`${strayWordMessage(argv, stray, program)}\n`);
    return EXIT.USAGE;
  }
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

/**
 * The commander program: every command and option. Each action hands its exit code to `setExit`.
 * Exported for tests (the examples and the README are checked against its options).
 */
export function createProgram(setExit: (code: number) => void): CommandType {
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
      setExit(await run(command, options));
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
      setExit(await checkCommand(options));
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
      setExit(await statusCommand(options));
    });

  program
    .command('init')
    .description('write a starter watchdog.config.json for your bot stack, filled in from the bot\'s own config where it can')
    .addOption(new Option('--preset <stack>', 'the bot stack (default: recognised from the files here, else generic)').choices(PRESET_NAMES))
    .option('--force', 'overwrite an existing watchdog.config.json')
    .addHelpText('after', '\nExamples:\n  bot-watchdog init                    # in the bot\'s folder\n  bot-watchdog init --preset langbot')
    .action(async (options: { preset?: (typeof PRESET_NAMES)[number]; force?: boolean }) => {
      const { initCommand } = await import('./commands/init.js');
      setExit(initCommand({ preset: options.preset, force: options.force === true }));
    });

  program
    .command('config')
    .description('print the effective config: defaults applied, durations in milliseconds, secrets as "***"')
    .option('-c, --config <file>', 'config file (default: ./watchdog.config.json when present)')
    .action(async (options: { config?: string }) => {
      const { configCommand } = await import('./commands/config.js');
      setExit(configCommand(options));
    });

  program
    .command('demo')
    .description('see it work: a fake mirai, a bot that goes deaf when its link drops, and the watchdog bringing it back')
    .addOption(durationOption('--every <duration>', "break the bot's link this long after it came up", 20_000, '20s', positiveDuration))
    .addOption(new Option('--log-level <level>', 'log level of the watchdog').choices(LOG_LEVELS))
    .addOption(new Option('--log-format <format>', 'json lines, pretty, or auto (pretty on a terminal)').choices(LOG_FORMATS))
    .addHelpText('after', '\nCtrl-C ends it (exit 130). Examples:\n  bot-watchdog demo\n  bot-watchdog demo --every 5s --log-format json')
    .action(async (options: { every: number; logLevel?: (typeof LOG_LEVELS)[number]; logFormat?: (typeof LOG_FORMATS)[number] }) => {
      const { demoCommand } = await import('./demo/demo.js');
      setExit(await demoCommand({
        everyMs: options.every,
        logLevel: options.logLevel,
        logFormat: options.logFormat,
      }));
    });

  return program;
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
  const { loadConfig } = await import('./config/load-config.js');
  let config;
  try {
    config = loadConfig({ configFile: options.config, command });
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const line of error.problems) process.stderr.write(`${line}\n`);
      return EXIT.USAGE;
    }
    throw error;
  }
  const [{ createEventLog, flushLogger }, { drain }] = await Promise.all([import('./log/logger.js'), import('./log/line-sink.js')]);
  // Every secret of the config (env secrets, URL passwords too), wherever it turns up in a line.
  const secrets = (await import('./config/secret-values.js')).secretValues(config);
  const logger = createEventLog({
    level: options.logLevel ?? config.log.level,
    format: options.logFormat ?? config.log.format,
    secrets,
  });
  // Hooks get every event of the catalogue (src/log/events.ts).
  const hooks =
    config.hooks.length > 0
      ? (await import('./hooks/start-hooks.js')).setUpHooks({ hooks: config.hooks, baseDir: config.baseDir, secrets, version: packageVersion() }, logger)
      : undefined;
  const [{ runCommand }, { buildPlugins }] = await Promise.all([import('./commands/run.js'), import('./plugins.js')]);
  try {
    return await runCommand(config, logger, buildPlugins, packageVersion());
  } finally {
    await hooks?.drain();
    // Nothing lost at exit where the reader keeps up (our last lines, the bot's last output);
    // a reader that does not read costs at most this long.
    const deadline = Date.now() + OUTPUT_FLUSH_MS;
    await Promise.all([flushLogger(logger.pino, OUTPUT_FLUSH_MS), drain(process.stdout, OUTPUT_FLUSH_MS)]);
    await drain(process.stderr, Math.max(0, deadline - Date.now()));
  }
}

/** Longest wait at exit for stdout and stderr to take what is queued. */
const OUTPUT_FLUSH_MS = 2000;
