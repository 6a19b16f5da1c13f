/**
 * `${NAME}` inside any string of the config is replaced by that environment variable.
 * `${NAME:-fallback}` uses the fallback when NAME is unset or empty; `$${` is a literal `${`.
 * An unset variable without a fallback is a config error that names the field.
 */
export class EnvExpansionError extends Error {
  constructor(
    readonly path: (string | number)[],
    readonly variable: string,
  ) {
    super(`environment variable ${variable} is not set`);
    this.name = 'EnvExpansionError';
  }
}

const REFERENCE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export function expandString(
  text: string,
  env: NodeJS.ProcessEnv,
  path: (string | number)[] = [],
): string {
  return text.replace(REFERENCE, (match, name: string | undefined, fallback: string | undefined) => {
    if (match === '$${') return '${';
    // Own properties only: `${constructor}` or `${__proto__}` must not reach Object.prototype.
    const value = Object.hasOwn(env, name as string) ? env[name as string] : undefined;
    if (value !== undefined && (fallback === undefined || value !== '')) return value;
    if (fallback !== undefined) return fallback;
    throw new EnvExpansionError(path, name as string);
  });
}

/**
 * The inverse of expandString for text that must stay as it is (a bot's own key written by init):
 * every `${` becomes `$${`, so expandString(escapeEnvReferences(text), env) === text for any env.
 */
export function escapeEnvReferences(text: string): string {
  return text.replaceAll('${', () => '$${');
}

/** Returns a deep copy of a parsed JSON value with every string expanded. Keys are left alone. */
export function expandEnv(value: unknown, env: NodeJS.ProcessEnv, path: (string | number)[] = []): unknown {
  if (typeof value === 'string') return expandString(value, env, path);
  if (Array.isArray(value)) return value.map((item, index) => expandEnv(item, env, [...path, index]));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    // defineProperty, not `out[key] =`: a "__proto__" key stays a key (and the loader refuses it by name).
    for (const [key, item] of Object.entries(value)) {
      Object.defineProperty(out, key, { value: expandEnv(item, env, [...path, key]), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}
