import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { createTextRedactor } from '../log/redact.js';
import { expandEnv } from './env-expand.js';
import type { LoadOptions, WatchdogConfig } from './load-config.js';
import { locateConfig, requireCwd, type LocatedConfig } from './read-config-file.js';
import { secretValues } from './secret-values.js';

/**
 * `loadConfig` for `check` and `status`, which must start fast, and `run`, which must stay small.
 * Validating with zod costs about as much as starting Node itself (loading zod alone is ~50-70 ms
 * here, and ~5 MB of RSS that a long-running watchdog would keep for good), so the resolved config is kept in `.bot-watchdog/<config name>.cache.json` beside the config and reused
 * while nothing it depends on has changed: the config's content after `${VAR}` expansion (so
 * the environment is covered), where it is, the command-line overrides, and the code that
 * validates it (the config modules, bot-watchdog's and zod's versions). Anything else validates
 * as `loadConfig` does, with the same errors; an invalid config is never cached. A cache that
 * cannot be written (read-only folder) only costs the time.
 *
 * Secrets stay out of the cache: `backend.verifyKey`, `backend.accessToken`, `backend.url`, `status.token`,
 * `backend.wsUrl` (a URL may carry `user:pass@` or `?access_token=`), `env` and `command` (which
 * may hold values expanded from the environment) are not stored but taken from the config file
 * again on each use. The schema passes them through unchanged; each write checks that. And a cache
 * whose text would still hold a secret or a credential-looking part is not written at all.
 * `hooks` (a webhook URL often carries a token) are not stored at all: the one-shot commands that
 * use the cache run no hooks, and get an empty list.
 */
const CACHE_FORMAT = 1;

export async function loadConfigCached(options: LoadOptions = {}): Promise<WatchdogConfig> {
  const located = locateConfig(options);
  const config = await loadCached(located, options);
  requireCwd(config, located.source, options.requireCommand);
  return config;
}


async function loadCached(located: LocatedConfig, options: LoadOptions): Promise<WatchdogConfig> {
  const env = options.env ?? process.env;
  const validate = async (): Promise<WatchdogConfig> => {
    const { resolveConfig } = await import('./load-config.js');
    return resolveConfig(located.raw, { ...options, env, source: located.source, configFile: located.configFile, cwd: located.cwd });
  };

  let expanded: unknown;
  try {
    expanded = expandEnv(located.raw, env);
  } catch {
    return validate(); // reports the unset variable
  }
  if (expanded === null || typeof expanded !== 'object' || Array.isArray(expanded)) return validate();
  const key = createHash('sha256')
    .update(
      JSON.stringify([
        CACHE_FORMAT,
        codeFingerprint(),
        expanded,
        located.configFile ?? null,
        located.source,
        // The working directory matters only without a config file (paths are relative to it then).
        located.configFile ? null : located.cwd,
        options.command ?? null,
        options.requireCommand ?? true,
      ]),
    )
    .digest('hex');
  const file = cacheFileFor(located);
  const restore = (stored: StoredConfig) => withSecrets(stored, expanded as RawConfig, options.command);
  const cached = readCache(file, key);
  if (cached) return restore(cached);

  const config = await validate();
  const stored = withoutSecrets(config);
  // Cached only if the secrets come back exactly as the schema made them.
  const text = `${JSON.stringify({ key, config: stored })}\n`;
  const secretFree = createTextRedactor(secretValues(config))(text) === text;
  if (secretFree && isDeepStrictEqual(normalized(restore(normalized(stored) as StoredConfig)), normalized({ ...config, hooks: [] }))) {
    try {
      writeFileAtomic(file, text);
    } catch {
      // read-only or foreign folder: validate every time
    }
  }
  return config;
}

/** The backend fields read from the config file on each use instead of being cached. */
const UNCACHED_BACKEND_KEYS = ['verifyKey', 'accessToken', 'url', 'wsUrl'] as const;

type StoredConfig = Omit<WatchdogConfig, 'env' | 'command' | 'backend' | 'hooks' | 'status'> & {
  status: Omit<WatchdogConfig['status'], 'token'>;
  backend: Omit<WatchdogConfig['backend'], (typeof UNCACHED_BACKEND_KEYS)[number]>;
};

interface RawConfig {
  env?: Record<string, string>;
  command?: string[];
  backend?: Partial<Record<(typeof UNCACHED_BACKEND_KEYS)[number], string>>;
  status?: { token?: string };
}

function withoutSecrets(config: WatchdogConfig): StoredConfig {
  const { env: _env, command: _command, backend, hooks: _hooks, status, ...rest } = config;
  const { token: _token, ...publicStatus } = status;
  const { verifyKey: _verifyKey, accessToken: _accessToken, url: _url, wsUrl: _wsUrl, ...publicBackend } = backend;
  return { ...rest, backend: publicBackend, status: publicStatus };
}

function withSecrets(stored: StoredConfig, raw: RawConfig, commandOverride: string[] | undefined): WatchdogConfig {
  const command = commandOverride && commandOverride.length > 0 ? commandOverride : raw.command;
  const backend: Record<string, unknown> = { ...stored.backend };
  for (const key of UNCACHED_BACKEND_KEYS) {
    const value = raw.backend?.[key];
    if (value !== undefined) backend[key] = value;
  }
  return {
    ...stored,
    env: raw.env ?? {},
    hooks: [],
    command: (command ?? ['']) as [string, ...string[]],
    backend,
    status: { ...stored.status, ...(raw.status?.token === undefined ? {} : { token: raw.status.token }) },
  } as unknown as WatchdogConfig;
}

/** As JSON keeps it: keys with undefined values dropped. */
function normalized(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

/** Where the cache of a config lives: `.bot-watchdog/` beside it (the default state folder). */
export function cacheFileFor(located: Pick<LocatedConfig, 'configFile' | 'cwd'>): string {
  const base = located.configFile ? dirname(located.configFile) : located.cwd;
  const name = located.configFile ? basename(located.configFile) : 'defaults';
  return join(base, '.bot-watchdog', `${name}.cache.json`);
}

function readCache(file: string, key: string): StoredConfig | undefined {
  try {
    const stat = statSync(file);
    // Only a cache we wrote ourselves is trusted.
    if (typeof process.getuid === 'function' && stat.uid !== process.getuid()) return undefined;
    if ((stat.mode & 0o022) !== 0) return undefined;
    const entry = JSON.parse(readFileSync(file, 'utf8')) as { key?: unknown; config?: unknown };
    if (entry.key !== key || entry.config === null || typeof entry.config !== 'object') return undefined;
    return entry.config as StoredConfig;
  } catch {
    return undefined;
  }
}

let fingerprint: string | undefined;

/** A hash of the code that turns a config file into a WatchdogConfig. */
function codeFingerprint(): string {
  if (fingerprint) return fingerprint;
  const hash = createHash('sha256');
  const self = fileURLToPath(import.meta.url);
  const dir = dirname(self);
  const ext = extname(self);
  for (const name of readdirSync(dir).filter((n) => n.endsWith(ext)).sort()) {
    hash.update(name).update('\0').update(readFileSync(join(dir, name))).update('\0');
  }
  const require = createRequire(import.meta.url);
  for (const pkg of ['../../package.json', 'zod/package.json']) {
    try {
      const path = pkg.startsWith('.') ? fileURLToPath(new URL(pkg, import.meta.url)) : require.resolve(pkg);
      hash.update((JSON.parse(readFileSync(path, 'utf8')) as { version?: string }).version ?? '');
    } catch {
      hash.update('?');
    }
  }
  fingerprint = hash.digest('hex');
  return fingerprint;
}
