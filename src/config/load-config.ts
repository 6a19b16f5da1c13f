import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { z } from 'zod';
import { ConfigError } from './config-error.js';
import { EnvExpansionError, expandEnv } from './env-expand.js';
import { fieldName, formatIssues } from './format-issues.js';
import { configSchema, type ParsedConfig } from './schema.js';

export const DEFAULT_CONFIG_FILE = 'watchdog.config.json';

type Resolved<T, K extends keyof T, V> = Omit<T, K> & { [P in K]: V };

/** The config after defaults, with paths made absolute and defaults that depend on other fields filled in. */
export type WatchdogConfig = Omit<ParsedConfig, 'command' | 'cwd' | 'state' | 'probes' | '$schema'> & {
  command: [string, ...string[]];
  cwd: string;
  /** The config file that was read, if any. */
  configFile: string | undefined;
  /** Relative paths in the config are relative to this folder (the config file's, else the working directory). */
  baseDir: string;
  state: { file: string };
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
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const explicit = options.configFile !== undefined;
  const configFile = resolve(cwd, options.configFile ?? DEFAULT_CONFIG_FILE);
  const source = explicit ? options.configFile! : DEFAULT_CONFIG_FILE;

  let raw: unknown = {};
  let fileUsed: string | undefined;
  if (explicit || existsSync(configFile)) {
    raw = readJson(configFile, source);
    fileUsed = configFile;
  }
  const config = resolveConfig(raw, { ...options, source, configFile: fileUsed, cwd, env });
  if ((options.requireCommand ?? true) && !isDirectory(config.cwd)) {
    throw new ConfigError([`${source}: cwd: directory not found: ${config.cwd}`]);
  }
  return config;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
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

function readJson(file: string, source: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (error as Error).message;
    throw new ConfigError([`${source}: cannot read the config: ${why}`]);
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new ConfigError([`${source}: invalid JSON: ${jsonErrorWhere(text, error as Error)}`]);
  }
}

/**
 * Turns V8's message into "what, at line L, column C". V8's excerpt of the text is dropped: the
 * file may hold secrets (a verifyKey next to the typo).
 */
function jsonErrorWhere(text: string, error: Error): string {
  const what = error.message
    .replace(/ (in JSON )?at position \d+.*$/s, '')
    .replace(/, (\.\.\.)?".*$/s, '')
    .replace(/ is not valid JSON$/, '');
  const position = /position (\d+)/.exec(error.message);
  const token = /^Unexpected token '(.)'/.exec(what)?.[1];
  const offset = position
    ? Number(position[1])
    : token !== undefined
      ? firstOutsideStrings(text, token)
      : /end of JSON input/.test(what)
        ? text.length
        : undefined;
  if (offset === undefined) return what;
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `${what} at line ${line}, column ${column}`;
}

/** Offset of the first `char` that is not inside a JSON string, for messages that give none. */
function firstOutsideStrings(text: string, char: string): number | undefined {
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === char) return i;
  }
  return undefined;
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
