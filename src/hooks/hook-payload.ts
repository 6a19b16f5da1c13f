/** One log record as hooks see it: the fields of its log line, `event` included. */
export interface HookRecord {
  event: string;
  level?: string;
  msg?: string;
  [field: string]: unknown;
}

const MAX_DEPTH = 6;
const MAX_ENV_VALUE = 4096;

/**
 * The record as plain JSON data: Errors become `{ type, message }` (no stack), functions and
 * symbols are dropped, bigints become strings, nesting is capped.
 */
export function toPlain(value: unknown, depth = 0): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'object') return undefined;
  if (depth >= MAX_DEPTH) return '[nested too deep]';
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { type: value.name, message: value.message, ...(typeof code === 'string' ? { code } : {}) };
  }
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((item) => toPlain(item, depth + 1) ?? null);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const plain = toPlain(item, depth + 1);
    if (plain !== undefined) out[key] = plain;
  }
  return out;
}

/** `closeCode` → `CLOSE_CODE`; names that cannot be a variable name give undefined. */
export function envName(field: string): string | undefined {
  const name = field
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toUpperCase();
  return /^[A-Z][A-Z0-9_]*$/.test(name) ? `BOT_WATCHDOG_${name}` : undefined;
}

/**
 * The environment a command hook gets besides the watchdog's own: BOT_WATCHDOG_<FIELD> for every
 * top-level field of the (already plain and scrubbed) record — objects and lists as JSON —
 * with BOT_WATCHDOG_EVENT, BOT_WATCHDOG_REASON and BOT_WATCHDOG_PID always set ("" when absent).
 */
export function hookEnv(record: Record<string, unknown>): Record<string, string> {
  const env: Record<string, string> = { BOT_WATCHDOG_EVENT: '', BOT_WATCHDOG_REASON: '', BOT_WATCHDOG_PID: '' };
  for (const [field, value] of Object.entries(record)) {
    const name = envName(field);
    if (!name || value === undefined) continue;
    const text = value === null ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
    env[name] = text.length > MAX_ENV_VALUE ? text.slice(0, MAX_ENV_VALUE) : text;
  }
  return env;
}
