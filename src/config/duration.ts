import { createRequire } from 'node:module';
import type { StringValue } from 'ms';

// CommonJS: required rather than imported, so that a one-shot command does not pay for Node's
// parse of its source for named exports (see cli.ts).
const ms = createRequire(import.meta.url)('ms') as typeof import('ms');

/** A duration as written in the config: `"500ms"`, `"10s"`, `"5m"`, `"1h"`, or a number of milliseconds. */
export type DurationInput = number | string;

const DURATION_PATTERN = /^\s*\d+(\.\d+)?\s*(ms|s|m|h|d)?\s*$/i;
export const DURATION_PATTERN_SOURCE = '^\\s*\\d+(\\.\\d+)?\\s*(ms|s|m|h|d)?\\s*$';

/** Parses a duration into whole milliseconds, or returns undefined when it is not one. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') {
    return Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;
  }
  if (typeof value !== 'string' || !DURATION_PATTERN.test(value)) return undefined;
  const trimmed = value.trim();
  // A bare number in a string means milliseconds, like a bare JSON number.
  const parsed = /^\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : ms(trimmed as StringValue);
  return typeof parsed === 'number' && Number.isFinite(parsed) && parsed >= 0 ? Math.round(parsed) : undefined;
}
