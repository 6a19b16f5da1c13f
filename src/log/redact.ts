/** Keys whose values are secrets wherever they appear in a log record. */
const SECRET_KEY = /^(verify_?key|access_?token|token|session_?key|authorization|password|secret)$/i;
export const REDACTED = '[redacted]';

/**
 * Builds a function that removes secrets from anything about to be logged:
 * values under secret-looking keys, and every occurrence of a known secret value
 * inside any string (URLs with ?verifyKey=…, command lines, error messages).
 */
export function createRedactor(secretValues: readonly (string | undefined)[]): (value: unknown) => unknown {
  // Very short "secrets" would shred ordinary text; mirai keys and tokens are longer.
  const secrets = [...new Set(secretValues.filter((s): s is string => typeof s === 'string' && s.length >= 3))].sort(
    (a, b) => b.length - a.length,
  );
  const scrubString = (text: string): string => {
    let out = text;
    for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    // Query parameters that carry credentials, whatever their value.
    return out.replace(/([?&](?:verifyKey|access_token|sessionKey)=)[^&#\s"']*/gi, `$1${REDACTED}`);
  };
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
