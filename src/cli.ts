import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { ConfigError } from './config/config-error.js';
import { loadConfig } from './config/load-config.js';
import { LOG_FORMATS, LOG_LEVELS } from './config/schema.js';
import { EXIT } from './exit-codes.js';
import { createLogger } from './log/logger.js';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

interface RunOptions {
  config?: string;
  logLevel?: (typeof LOG_LEVELS)[number];
  logFormat?: (typeof LOG_FORMATS)[number];
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
    .exitOverride()
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

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with code 0; usage errors were already printed.
      return error.exitCode === 0 ? 0 : EXIT.USAGE;
    }
    throw error;
  }
  return exitCode === -1 ? 0 : exitCode;
}

async function run(command: string[], options: RunOptions): Promise<number> {
  let config;
  try {
    config = loadConfig({ ...(options.config === undefined ? {} : { configFile: options.config }), command });
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const line of error.problems) process.stderr.write(`${line}\n`);
      return EXIT.USAGE;
    }
    throw error;
  }
  const logger = createLogger({
    level: options.logLevel ?? config.log.level,
    format: options.logFormat ?? config.log.format,
    secrets: [config.backend.verifyKey, config.backend.accessToken],
  });
  const [{ runCommand }, { buildPlugins }] = await Promise.all([import('./commands/run.js'), import('./plugins.js')]);
  return runCommand(config, logger, buildPlugins, packageVersion());
}
