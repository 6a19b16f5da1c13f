import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from './config-error.js';

export const DEFAULT_CONFIG_FILE = 'watchdog.config.json';

/** A config file is a few KiB; anything over this is the wrong file (`--config /dev/zero`, a log…). */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** The config file as found and parsed, before validation. */
export interface LocatedConfig {
  /** The parsed JSON ({} when no config file is used). */
  raw: unknown;
  /** The file read, as an absolute path; undefined when there is none (no --config, no ./watchdog.config.json). */
  configFile: string | undefined;
  /** How the file is named in messages: as given on the command line, or watchdog.config.json. */
  source: string;
  cwd: string;
}

/** Finds the config (`--config`, else ./watchdog.config.json when present) and parses its JSON. Throws ConfigError. */
export function locateConfig(options: { configFile?: string; cwd?: string }): LocatedConfig {
  const cwd = options.cwd ?? process.cwd();
  const explicit = options.configFile !== undefined;
  const path = resolve(cwd, options.configFile ?? DEFAULT_CONFIG_FILE);
  const source = explicit ? options.configFile! : DEFAULT_CONFIG_FILE;
  if (!explicit && !existsSync(path)) return { raw: {}, configFile: undefined, source, cwd };
  return { raw: readJson(path, source), configFile: path, source, cwd };
}

function readJson(file: string, source: string): unknown {
  let text: string;
  try {
    const bytes = readAtMost(file, MAX_CONFIG_BYTES + 1);
    if (bytes.length > MAX_CONFIG_BYTES) {
      throw new ConfigError([`${source}: the config is larger than ${MAX_CONFIG_BYTES / 1024 / 1024} MiB: is it the right file?`]);
    }
    text = bytes.toString('utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
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

/** Reads up to `limit` bytes: a device or a huge file is never read whole. */
function readAtMost(file: string, limit: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    let buffer = Buffer.allocUnsafe(Math.min(limit, 64 * 1024));
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length >= limit) break;
        const bigger = Buffer.allocUnsafe(Math.min(limit, length * 2));
        buffer.copy(bigger, 0, 0, length);
        buffer = bigger;
      }
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
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

/**
 * A command to run needs its working directory: checked on every load (the folder
 * may have gone since). Throws ConfigError naming the config file.
 */
export function requireCwd(config: { cwd: string }, source: string, requireCommand: boolean | undefined): void {
  if ((requireCommand ?? true) && !isDirectory(config.cwd)) {
    throw new ConfigError([`${source}: cwd: directory not found: ${config.cwd}`]);
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
