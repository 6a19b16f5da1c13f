/**
 * Helpers for answers from the network, which may be anything: garbage bytes, truncated JSON,
 * JSON of the wrong shape. Nothing here throws.
 */

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The text parsed as a JSON object, or undefined (not JSON, or JSON but not an object). */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** A short, printable excerpt of untrusted text for a reason or a log field. */
export function snippet(text: unknown, max = 80): string {
  const flat = printable(text)
    .replace(/[\u0000-\u001f\u007f-\u009f\ufffd]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Any value as text, without calling a toString that a hostile JSON object may have replaced. */
function printable(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || typeof value !== 'object') return String(value);
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '[object]';
  }
}

/** A JSON number or a decimal string as an integer (mirai and OneBot use both), else undefined. */
export function integerOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && /^-?\d{1,15}$/.test(value)) return Number(value);
  return undefined;
}
