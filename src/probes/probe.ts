import type { Clock } from '../clock/clock.js';

/**
 * The one interface every probe implements. A probe checks one thing once; plug-ins run probes on
 * intervals (or keep a connection open) and turn transitions into logs and restart requests, and
 * `bot-watchdog check` runs each configured probe once.
 */
export type Verdict = 'healthy' | 'unhealthy' | 'misconfigured';

export interface ProbeResult {
  /** Stable probe name: "mirai-http", "mirai-ws", "onebot-http", "onebot-ws", "http", "tcp", "heartbeat", "link", "bot-process". */
  probe: string;
  verdict: Verdict;
  /** Short, human, secret-free: "code 0 from /about", "connection refused", "file is 95s old". */
  reason: string;
  latencyMs: number;
  /** Evidence for logs and --json (file age, last link seen, mirai code…). Never secrets. */
  details?: Record<string, unknown>;
}

export interface Probe {
  readonly name: string;
  /** Checks once. Never throws: failures are results. Honours `signal` (abort = stop waiting). */
  check(signal?: AbortSignal): Promise<ProbeResult>;
}

/** Builds a result with the latency measured from `startedAt` (performance.now() based). */
export function result(
  probe: string,
  verdict: Verdict,
  reason: string,
  startedAt: number,
  details?: Record<string, unknown>,
): ProbeResult {
  const latencyMs = Math.max(0, Math.round(performance.now() - startedAt));
  return details ? { probe, verdict, reason, latencyMs, details } : { probe, verdict, reason, latencyMs };
}

/** Times one check on a clock, and builds its result with the latency. */
export interface Stopwatch {
  /** Milliseconds since the stopwatch started. */
  elapsedMs(): number;
  result(probe: string, verdict: Verdict, reason: string, details?: Record<string, unknown>): ProbeResult;
}

/** A stopwatch started now on `clock` (the injected one in the backend, so that tests run on virtual time). */
export function stopwatch(clock: Pick<Clock, 'now'>): Stopwatch {
  const started = clock.now();
  const elapsedMs = () => Math.max(0, Math.round(clock.now() - started));
  return {
    elapsedMs,
    result: (probe, verdict, reason, details) => {
      const latencyMs = elapsedMs();
      return details ? { probe, verdict, reason, latencyMs, details } : { probe, verdict, reason, latencyMs };
    },
  };
}
