// The one list of what must never be shown: every secret value a config holds. The logs, the
// state file, the status page, hook payloads, `check`, `status` and `config` all scrub with it
// (src/log/redact.ts), so a secret is hidden wherever else it turns up: in the command line, an
// error message, a URL, a backend's echo.

/** Keys whose values are secrets wherever they are in the config (backend.verifyKey, status.token…). */
export const SECRET_KEY = /^(verify_?key|access_?token|token|session_?key|authorization|password|secret)$/i;
/** Names of `env` variables whose values are secrets. */
export const SECRET_ENV = /(key|token|secret|passw(or)?d|auth|cookie|credential|session)/i;
/** The user info of a URL anywhere in a text: `scheme://user:password@`. */
const URL_USERINFO = /\b[a-z][a-z0-9+.-]{0,31}:\/\/([^\s/?#@"'<>]*)@/gi;
/** Shorter values would shred ordinary text (createTextRedactor ignores them too). */
const MIN_SECRET_LENGTH = 3;

/**
 * Every secret value of a config: values under secret keys (backend.verifyKey, backend.accessToken,
 * status.token, …) at any depth, the values of `env` variables with secret-looking names, and the
 * user info of every URL written anywhere in it (an env value `postgres://u:PASSWORD@h/db`, a
 * command-line argument, backend.url): `user:password` and the password alone.
 */
export function secretValues(config: object): string[] {
  const found = new Set<string>();
  const env = (config as { env?: unknown }).env;
  if (env !== null && typeof env === 'object') {
    for (const [name, value] of Object.entries(env)) if (SECRET_ENV.test(name) && typeof value === 'string') found.add(value);
  }
  walk(config, found, 0);
  return [...found].filter((value) => value.length >= MIN_SECRET_LENGTH);
}

function walk(value: unknown, into: Set<string>, depth: number): void {
  if (typeof value === 'string') {
    userInfo(value, into);
    return;
  }
  if (depth > 32 || value === null || typeof value !== 'object') return;
  for (const [key, item] of Object.entries(value)) {
    if (SECRET_KEY.test(key) && typeof item === 'string') {
      into.add(item);
      userInfo(item, into);
    } else {
      walk(item, into, depth + 1);
    }
  }
}

function userInfo(text: string, into: Set<string>): void {
  if (!text.includes('@')) return;
  for (const match of text.matchAll(URL_USERINFO)) {
    const info = match[1] ?? '';
    const colon = info.indexOf(':');
    // A user name alone is no secret (URLs still show it as [redacted]); a password is.
    if (colon < 0) continue;
    const password = info.slice(colon + 1);
    into.add(info);
    into.add(password);
    try {
      into.add(decodeURIComponent(password)); // as it means, where the URL percent-encodes it
    } catch {
      // not valid percent-encoding: as written only
    }
  }
}
