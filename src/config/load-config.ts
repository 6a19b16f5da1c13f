import { dirname, resolve } from 'node:path';
import * as v from 'valibot';
import { ConfigError } from './config-error.js';
import { configProblems } from './config-rules.js';
import { EnvExpansionError, expandEnv } from './env-expand.js';
import { fieldName, formatProblems, problemsOf } from './format-issues.js';
import { rawShapeProblem } from './raw-shape.js';
import { DEFAULT_CONFIG_FILE, locateConfig, requireCwd } from './read-config-file.js';
import { knownKeysAt, listWhereObject } from './schema-walk.js';
import { configSchema, type ParsedConfig } from './schema.js';

export { DEFAULT_CONFIG_FILE } from './read-config-file.js';

type Resolved<T, K extends keyof T, V> = Omit<T, K> & { [P in K]: V };

/** The config after defaults, with paths made absolute and defaults that depend on other fields filled in. */
export type WatchdogConfig = Omit<ParsedConfig, 'command' | 'cwd' | 'state' | 'probes' | 'startup' | '$schema'> & {
  command: [string, ...string[]];
  cwd: string;
  /** The config file that was read, if any. */
  configFile: string | undefined;
  /** Relative paths in the config are relative to this folder (the config file's, else the working directory). */
  baseDir: string;
  state: { file: string };
  startup: Resolved<ParsedConfig['startup'], 'waitForBackend', boolean>;
  probes: Resolved<
    Omit<ParsedConfig['probes'], 'websocket' | 'heartbeat'>,
    never,
    never
  > & {
    websocket: Resolved<ParsedConfig['probes']['websocket'], 'enabled', boolean>;
    heartbeat: (Omit<NonNullable<ParsedConfig['probes']['heartbeat']>, 'interval'> & { interval: number }) | undefined;
  };
};

export interface LoadOptions {
  /** `--config`; when absent, ./watchdog.config.json is used if it exists. */
  configFile?: string;
  /** The command after `--`; overrides the config's `command`. */
  command?: string[];
  /** Require a command (run needs one; check and status do not). Default true. */
  requireCommand?: boolean;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Reads, expands, validates and resolves the config. Throws ConfigError with one line per problem. */
export function loadConfig(options: LoadOptions = {}): WatchdogConfig {
  const located = locateConfig(options);
  const config = resolveConfig(located.raw, { ...options, source: located.source, configFile: located.configFile, cwd: located.cwd });
  requireCwd(config, located.source, options.requireCommand);
  return config;
}


/** Validates an already-parsed JSON value (used by loadConfig and by tests). */
export function resolveConfig(
  raw: unknown,
  options: LoadOptions & { source?: string; configFile?: string | undefined; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): WatchdogConfig {
  const source = options.source ?? DEFAULT_CONFIG_FILE;
  const cwd = options.cwd ?? process.cwd();
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError([`${source}: expected a JSON object at the top level, got ${Array.isArray(raw) ? 'a list' : JSON.stringify(raw)}`]);
  }
  const unfit = rawShapeProblem(raw);
  if (unfit) throw new ConfigError(formatProblems(source, [unfit], knownKeysAt));

  let expanded: unknown;
  try {
    expanded = expandEnv(raw, options.env ?? process.env);
  } catch (error) {
    if (error instanceof EnvExpansionError) throw new ConfigError([`${source}: ${fieldName(error.path)}: ${error.message}`]);
    throw error;
  }

  const list = listWhereObject(expanded);
  if (list) throw new ConfigError(formatProblems(source, [list], knownKeysAt));
  const result = v.safeParse(configSchema, expanded);
  if (!result.success) throw new ConfigError(formatProblems(source, problemsOf(result.issues), knownKeysAt));
  const parsed = result.output;
  const problems = configProblems(parsed);
  if (problems.length > 0) throw new ConfigError(formatProblems(source, problems, knownKeysAt));

  const command = options.command && options.command.length > 0 ? options.command : parsed.command;
  if ((options.requireCommand ?? true) && (!command || command.length === 0 || !command[0])) {
    throw new ConfigError([
      `${source}: command: required: set "command" in the config (e.g. ["python3", "main.py"]) or pass it after --, e.g. bot-watchdog run -- python3 main.py`,
    ]);
  }

  const baseDir = options.configFile ? dirname(options.configFile) : cwd;
  const { $schema: _schema, ...rest } = parsed;
  const heartbeat = parsed.probes.heartbeat;
  return {
    ...rest,
    command: (command ?? ['']) as [string, ...string[]],
    cwd: resolve(baseDir, parsed.cwd ?? '.'),
    configFile: options.configFile,
    baseDir,
    state: { file: resolve(baseDir, parsed.state.file ?? '.bot-watchdog/state.json') },
    // NapCat reconnects to a bot by itself: its outages never hold a start (unless asked for).
    startup: { ...parsed.startup, waitForBackend: parsed.startup.waitForBackend ?? parsed.backend.kind !== 'onebot-reverse' },
    probes: {
      ...parsed.probes,
      websocket: {
        ...parsed.probes.websocket,
        enabled: parsed.probes.websocket.enabled ?? (parsed.backend.kind === 'mirai' || parsed.backend.kind === 'onebot'),
      },
      heartbeat: heartbeat && {
        ...heartbeat,
        file: resolve(baseDir, heartbeat.file),
        interval: heartbeat.interval ?? Math.max(100, Math.min(5000, Math.floor(heartbeat.maxAge / 4))),
      },
    },
  };
}
