import { createTextRedactor } from '../log/redact.js';
import type { WatchdogConfig } from './load-config.js';
import { SECRET_ENV, SECRET_KEY, secretValues } from './secret-values.js';

export const MASK = '***';
/** URL-valued keys: user info, query values and token-like path segments are masked. */
const URL_KEY = /^(url|wsUrl)$/;
const TOKEN_SEGMENT = /^[A-Za-z0-9_\-.~]{16,}$/;

/**
 * The config as the watchdog uses it, for `bot-watchdog config`: defaults applied, paths
 * absolute, every duration in milliseconds, and no secret: values under secret keys
 * (`verifyKey`, `accessToken`, `token`, …), `env` values whose names look secret, the user info
 * of URLs in any value, the secret parts of URL-valued keys, and every other occurrence of a
 * secret's value (secretValues: the list the logs scrub with) are `"***"`.
 */
export function effectiveConfig(config: WatchdogConfig): Record<string, unknown> {
  const { configFile: _file, baseDir: _base, ...rest } = config;
  const scrub = createTextRedactor(secretValues(rest), MASK);
  const { command, cwd, env, ...others } = rest;
  // The order of the README's config reference: what runs first, then the sections.
  return mask({ command, cwd, env, ...others }, scrub, []) as Record<string, unknown>;
}

function mask(value: unknown, scrub: (text: string) => string, path: string[]): unknown {
  const key = path[path.length - 1] ?? '';
  if (typeof value === 'string') {
    if (SECRET_KEY.test(key)) return value === '' ? '' : MASK;
    if (path.length === 2 && path[0] === 'env' && SECRET_ENV.test(key)) return value === '' ? '' : MASK;
    if (URL_KEY.test(key)) return maskUrl(scrub(value));
    return scrub(value);
  }
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item, index) => mask(item, scrub, [...path, String(index)]));
  const out: Record<string, unknown> = {};
  for (const [name, item] of Object.entries(value)) {
    if (item === undefined) continue;
    out[name] = mask(item, scrub, [...path, name]);
  }
  return out;
}

function maskUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return text;
  }
  const before = url.toString();
  if (url.username !== '' || url.password !== '') {
    url.username = MASK;
    url.password = '';
  }
  url.pathname = url.pathname
    .split('/')
    .map((segment) => (TOKEN_SEGMENT.test(segment) ? MASK : segment))
    .join('/');
  for (const name of [...url.searchParams.keys()]) url.searchParams.set(name, MASK);
  const after = url.toString();
  // Unchanged: as written (URL would add a trailing slash).
  return after === before ? text : after.replace(/%2A%2A%2A/g, MASK);
}
