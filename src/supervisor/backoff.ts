export interface BackoffOptions {
  initialDelay: number;
  maxDelay: number;
  factor: number;
  /** 0.2 spreads each delay uniformly over ±20%. */
  jitter: number;
}

/**
 * Delay before restart number `attempt` (1 = the first restart after a good run):
 * initialDelay × factor^(attempt−1), spread by jitter, never above maxDelay.
 * Pure: `random` is injected so tests are exact.
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const exponent = Math.max(0, attempt - 1);
  const base = Math.min(options.maxDelay, options.initialDelay * options.factor ** exponent);
  const spread = options.jitter * (2 * random() - 1);
  return Math.max(0, Math.min(options.maxDelay, Math.round(base * (1 + spread))));
}
