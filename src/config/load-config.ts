import { dirname, resolve } from 'node:path';
import type { z } from 'zod';
import { ConfigError } from './config-error.js';
import { EnvExpansionError, expandEnv } from './env-expand.js';
import { fieldName, formatIssues } from './format-issues.js';
import { DEFAULT_CONFIG_FILE, locateConfig, requireCwd } from './read-config-file.js';
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

  let expanded: unknown;
  try {
    expanded = expandEnv(raw, options.env ?? process.env);
  } catch (error) {
    if (error instanceof EnvExpansionError) throw new ConfigError([`${source}: ${fieldName(error.path)}: ${error.message}`]);
    throw error;
  }

  const result = configSchema.safeParse(expanded, { reportInput: true });
  if (!result.success) throw new ConfigError(formatIssues(source, result.error.issues, knownKeysAt));
  const parsed = result.data;

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

type AnySchema = z.core.$ZodType;

/** The keys a strict object accepts at a path of the schema, for "did you mean". */
function knownKeysAt(path: PropertyKey[]): string[] {
  let schema: AnySchema | undefined = configSchema;
  for (const part of path) {
    schema = unwrap(schema);
    const shape = schema && (schema._zod.def as { shape?: Record<string, AnySchema> }).shape;
    schema = shape?.[String(part)];
  }
  const shape = schema && (unwrap(schema)?._zod.def as { shape?: Record<string, AnySchema> } | undefined)?.shape;
  return shape ? Object.keys(shape) : [];
}

function unwrap(schema: AnySchema | undefined): AnySchema | undefined {
  let current = schema;
  for (let i = 0; current && i < 10; i++) {
    const def = current._zod.def as { type: string; innerType?: AnySchema; in?: AnySchema; schema?: AnySchema };
    if (def.innerType) current = def.innerType;
    else if (def.type === 'pipe' && def.in) current = def.in;
    else return current;
  }
  return current;
}
