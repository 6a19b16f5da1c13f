/**
 * Milliseconds for people, in at most two units: 850 → "850ms", 42_000 → "42s",
 * 302_000 → "5m 2s", 10_980_000 → "3h 3m", 93_600_000 → "1d 2h".
 */
export function humanDuration(milliseconds: number): string {
  const ms = Math.max(0, Math.round(milliseconds));
  if (ms < 1000) return `${ms}ms`;
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ];
  const seconds = Math.floor(ms / 1000) * 1000;
  for (let i = 0; i < units.length; i++) {
    const [name, size] = units[i]!;
    if (seconds < size) continue;
    const major = Math.floor(seconds / size);
    const next = units[i + 1];
    const minor = next ? Math.floor((seconds - major * size) / next[1]) : 0;
    return minor > 0 && next ? `${major}${name} ${minor}${next[0]}` : `${major}${name}`;
  }
  return `${ms}ms`;
}

/** Seconds for a reason text: one decimal below 10 s ("9.5s"), whole seconds above ("42s"). */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
}
