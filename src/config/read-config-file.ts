import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from './config-error.js';

export const DEFAULT_CONFIG_FILE = 'watchdog.config.json';

/** The config file as found and parsed, before validation. Free of zod, so fast commands can use it. */
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

/** Turns V8's "at position N" into a line and column a person can find. */
function jsonErrorWhere(text: string, error: Error): string {
  const message = error.message.replace(/^JSON\.parse: /, '');
  const position = /position (\d+)/.exec(message);
  if (!position) return message;
  const offset = Number(position[1]);
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `${message.replace(/\s*\(line \d+ column \d+\)/, '').replace(/ in JSON at position \d+.*$/, '')} at line ${line}, column ${column}`;
}
