import { SECRET_KEY } from '../config/secret-values.js';

/** What a secret is replaced by in logs, the state file, the status page and hook payloads. */
export const REDACTED = '[redacted]';

/** `verifyKey=…`, `?access_token=…`, `sessionKey=…`: credentials in URLs and messages, whatever their value. */
const CREDENTIAL_PARAM = /\b((?:verify_?key|access_?token|session_?key)=)[^&#\s"']*/gi;
/** The same as JSON: `"verifyKey":"…"` (a backend echoing its request). */
const CREDENTIAL_JSON = /("(?:verify_?key|access_?token|session_?key)"\s*:\s*)"(?:[^"\\]|\\.)*"/gi;
/** `scheme://user:pass@host`: the user info of a URL. (The scheme's length is bounded: linear time on any text.) */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]{0,31}:\/\/)[^\s/?#@"'<>]*@/gi;

/**
 * Removes what looks like a credential from a text, whatever its value: `verifyKey=`,
 * `access_token=`, `sessionKey=` parameters, their JSON form, and the `user:pass@` of URLs.
 */
export function scrubCredentials(text: string, mask: string = REDACTED): string {
  return text
    .replace(CREDENTIAL_PARAM, `$1${mask}`)
    .replace(CREDENTIAL_JSON, `$1"${mask}"`)
    .replace(URL_USERINFO, `$1${mask}@`);
}

/**
 * Builds a function that removes secrets from anything about to be logged, stored or printed:
 * values under secret-looking keys, every occurrence of a known secret value inside any string
 * (URLs with ?verifyKey=…, command lines, error messages), and credential-looking URL parts.
 */
export function createRedactor(secretValues: readonly (string | undefined)[]): (value: unknown) => unknown {
  const scrubString = createTextRedactor(secretValues);
  const scrub = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') return scrubString(value);
    if (depth > 8 || value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1));
    if (value instanceof Error) {
      // Stays an instance of its own class (with its code, cause…) so pino's err serializer still
      // names its type; only the texts are scrubbed.
      const copy = Object.assign(Object.create(Object.getPrototypeOf(value) as object) as Error, value);
      Object.defineProperty(copy, 'message', { value: scrubString(value.message), enumerable: false, writable: true, configurable: true });
      if (value.stack !== undefined) {
        Object.defineProperty(copy, 'stack', { value: scrubString(value.stack), enumerable: false, writable: true, configurable: true });
      }
      return copy;
    }
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = SECRET_KEY.test(key) && item !== undefined && item !== '' ? REDACTED : scrub(item, depth + 1);
    }
    return out;
  };
  return (value) => scrub(value, 0);
}

/**
 * The string part of createRedactor: known secret values and credential-looking parts of a text
 * (`secretValues(config)` of src/config/secret-values.ts is the list every caller passes).
 */
export function createTextRedactor(secretValues: readonly (string | undefined)[], mask: string = REDACTED): (text: string) => string {
  // Very short "secrets" would shred ordinary text; mirai keys and tokens are longer.
  const secrets = [...new Set(secretValues.filter((s): s is string => typeof s === 'string' && s.length >= 3))].sort(
    (a, b) => b.length - a.length,
  );
  return (text) => {
    let out = text;
    for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(mask);
    return scrubCredentials(out, mask);
  };
}
