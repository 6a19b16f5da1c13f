import ms from 'ms';

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
  const parsed = /^\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : ms(trimmed as ms.StringValue);
  return typeof parsed === 'number' && Number.isFinite(parsed) && parsed >= 0 ? Math.round(parsed) : undefined;
}
