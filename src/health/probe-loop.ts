import type { Clock, TimerHandle } from '../clock/clock.js';
import { checkOnce } from './check-once.js';
import type { Probe, ProbeResult } from '../probes/probe.js';

export interface ProbeLoopOptions {
  probe: Probe;
  /** Time between the end of one check and the start of the next. */
  interval: number;
  /** A check that takes longer is aborted and counts as unhealthy. */
  timeout: number;
  clock: Clock;
  /** Every result, in order (the health sink judges them). */
  onResult: (result: ProbeResult) => void;
}

/**
 * Runs a probe forever on an interval (checkOnce: the same rules as `bot-watchdog check`) and
 * hands every result on. It judges nothing: thresholds, transitions and restarts are the health
 * sink's.
 */
export class ProbeLoop {
  private timer: TimerHandle | undefined;
  private running = false;
  private inFlight: AbortController | undefined;
  last: ProbeResult | undefined;

  constructor(private readonly options: ProbeLoopOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.tick();
  }

  stop(): void {
    this.running = false;
    this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.inFlight?.abort();
  }

  /** Checks now (outside the schedule), e.g. to confirm a suspicion; the schedule goes on. Nothing before start(). */
  async checkNow(): Promise<ProbeResult | undefined> {
    if (!this.running) return undefined;
    return this.runCheck();
  }

  private async tick(): Promise<void> {
    if (!this.running) return;
    await this.runCheck();
    if (this.running) this.timer = this.options.clock.setTimeout(() => void this.tick(), this.options.interval);
  }

  private async runCheck(): Promise<ProbeResult> {
    const { probe, timeout, clock } = this.options;
    const stopping = new AbortController();
    this.inFlight = stopping;
    const result = await checkOnce(probe, timeout, clock, stopping.signal);
    if (this.inFlight === stopping) this.inFlight = undefined;
    // Stopped while it ran: the answer says nothing about the target.
    if (!this.running && stopping.signal.aborted) return result;
    this.last = result;
    this.options.onResult(result);
    return result;
  }
}
