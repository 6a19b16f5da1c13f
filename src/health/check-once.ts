import { humanDuration } from '../human-duration.js';
import type { Clock } from '../clock/clock.js';
import type { Probe, ProbeResult } from '../probes/probe.js';

/** Grace after the abort for a probe to return its own "aborted" result. */
const ABORT_GRACE_MS = 250;

/**
 * Runs one check of a probe, within `timeoutMs`, for `run` and `check` alike, so a probe's result
 * means the same in both:
 * - a probe that has not answered by then is aborted: unhealthy "no answer within …";
 * - an answer that only came because of the abort is unhealthy too, whatever it says;
 * - a probe that throws (a bug: probes report failures as results) could not check anything:
 *   misconfigured "probe error: …" — never a reason to restart the bot.
 * `signal` aborts from outside (the watchdog is stopping): the result is then not meaningful.
 */
export async function checkOnce(probe: Probe, timeoutMs: number, clock: Clock, signal?: AbortSignal): Promise<ProbeResult> {
  const started = clock.now();
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort();
  signal?.addEventListener('abort', onOuterAbort, { once: true });
  const noAnswer = (): ProbeResult => ({
    probe: probe.name,
    verdict: 'unhealthy',
    reason: `no answer within ${humanDuration(timeoutMs)}`,
    latencyMs: Math.max(0, Math.round(clock.now() - started)),
  });
  const abortTimer = clock.setTimeout(() => controller.abort(), timeoutMs);
  let lateTimer: ReturnType<Clock['setTimeout']> | undefined;
  const late = new Promise<ProbeResult>((resolve) => {
    lateTimer = clock.setTimeout(() => resolve(noAnswer()), timeoutMs + ABORT_GRACE_MS);
  });
  const answer = (async (): Promise<ProbeResult> => {
    try {
      return await probe.check(controller.signal);
    } catch (error) {
      return {
        probe: probe.name,
        verdict: 'misconfigured',
        reason: `probe error: ${error instanceof Error ? error.message : String(error)}`,
        latencyMs: Math.max(0, Math.round(clock.now() - started)),
      };
    }
  })();
  try {
    const result = await Promise.race([answer, late]);
    const timedOut = controller.signal.aborted && !signal?.aborted;
    return timedOut && result.verdict !== 'unhealthy' ? { ...noAnswer(), ...(result.details ? { details: result.details } : {}) } : result;
  } finally {
    clock.clearTimeout(abortTimer);
    clock.clearTimeout(lateTimer);
    signal?.removeEventListener('abort', onOuterAbort);
  }
}
