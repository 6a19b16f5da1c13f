import type { Clock, TimerHandle } from '../clock/clock.js';
import type { Probe, ProbeResult } from '../probes/probe.js';

export interface PollLoopOptions {
  probe: Probe;
  /** Time between the end of one check and the start of the next. */
  interval: number;
  /** A check that takes longer is aborted and counts as unhealthy. */
  timeout: number;
  clock: Clock;
  /** Every result, in the order the checks end. */
  onResult: (result: ProbeResult) => void;
}

/**
 * One check within `timeout`, on `clock`: a check that overruns is aborted and unhealthy ("no
 * answer within N ms"); a probe that throws (a bug) is unhealthy too. Never throws. `stop`, when
 * given, aborts the check as well (the result then says so but is of no interest).
 */
export async function checkWithin(probe: Probe, timeout: number, clock: Clock, stop?: AbortSignal): Promise<{ result: ProbeResult; timedOut: boolean }> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = clock.setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeout);
  const onStop = () => controller.abort();
  stop?.addEventListener('abort', onStop, { once: true });
  let result: ProbeResult;
  try {
    result = await probe.check(controller.signal);
  } catch (error) {
    result = { probe: probe.name, verdict: 'unhealthy', reason: `probe error: ${(error as Error).message}`, latencyMs: 0 };
  } finally {
    clock.clearTimeout(timer);
    stop?.removeEventListener('abort', onStop);
  }
  if (timedOut && result.verdict !== 'unhealthy') result = { ...result, verdict: 'unhealthy', reason: `no answer within ${timeout}ms` };
  return { result, timedOut };
}

/**
 * The backend's HTTP (or TCP) poll: runs its probe forever, `interval` after the end of each
 * check, and hands every result to `onResult`. It judges nothing and logs nothing: readiness
 * (src/backend/readiness.ts) and the health pipeline do. Its timers run on the injected clock.
 */
export class PollLoop {
  private timer: TimerHandle | undefined;
  private stopper: AbortController | undefined;

  constructor(private readonly options: PollLoopOptions) {}

  start(): void {
    if (this.stopper) return;
    this.stopper = new AbortController();
    void this.tick(this.stopper.signal);
  }

  stop(): void {
    this.stopper?.abort();
    this.stopper = undefined;
    this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Checks now, outside the schedule (a fresh answer after the link dropped); the schedule goes on. */
  async checkNow(): Promise<void> {
    const stop = this.stopper?.signal;
    if (stop) await this.check(stop);
  }

  private async tick(stop: AbortSignal): Promise<void> {
    await this.check(stop);
    if (!stop.aborted) this.timer = this.options.clock.setTimeout(() => void this.tick(stop), this.options.interval);
  }

  private async check(stop: AbortSignal): Promise<void> {
    const { probe, timeout, clock } = this.options;
    const { result } = await checkWithin(probe, timeout, clock, stop);
    // A check cut short by stop() says nothing about the backend.
    if (!stop.aborted) this.options.onResult(result);
  }
}
