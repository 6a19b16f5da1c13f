import type { EventLog } from '../log/events.js';
import type { Probe, ProbeResult } from '../probes/probe.js';

export interface ProbeLoopOptions {
  probe: Probe;
  /** Time between the end of one check and the start of the next. */
  interval: number;
  /** A check that takes longer is aborted and counts as unhealthy. */
  timeout: number;
  /** Unhealthy checks in a row before the target counts as failed. */
  failureThreshold: number;
  logger: EventLog;
  /** Every result, for the supervisor's probe reports (state file, status). */
  onResult?: (result: ProbeResult) => void;
  /** Called once when the failure threshold is reached (not again until it recovers). */
  onFailed?: (result: ProbeResult, failures: number) => void;
  /** Called once when a failed target answers healthy again. */
  onRecovered?: (result: ProbeResult) => void;
}

/**
 * Runs a probe forever on an interval and turns results into transitions: `probe.failed` after
 * failureThreshold unhealthy results in a row, `probe.recovered` on the first healthy result after
 * that, `probe.misconfigured` once per distinct reason (our config is wrong: never a failure).
 * Logs transitions, not ticks. Uses the global timers, so tests can fake them.
 */
export class ProbeLoop {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private inFlight: AbortController | undefined;
  private failures = 0;
  private failed = false;
  private misconfigured: string | undefined;
  last: ProbeResult | undefined;

  constructor(private readonly options: ProbeLoopOptions) {}

  get isFailed(): boolean {
    return this.failed;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.tick();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.inFlight?.abort();
  }

  /** Checks now (outside the schedule), e.g. to confirm a suspicion; the schedule goes on. */
  async checkNow(): Promise<ProbeResult> {
    return this.runCheck();
  }

  private async tick(): Promise<void> {
    if (!this.running) return;
    await this.runCheck();
    if (this.running) this.timer = setTimeout(() => void this.tick(), this.options.interval);
  }

  private async runCheck(): Promise<ProbeResult> {
    const { probe, timeout } = this.options;
    const controller = new AbortController();
    this.inFlight = controller;
    const timer = setTimeout(() => controller.abort(), timeout);
    let result: ProbeResult;
    try {
      result = await probe.check(controller.signal);
    } catch (error) {
      // Probes report failures as results; an exception is a bug, but must not stop the loop.
      result = { probe: probe.name, verdict: 'unhealthy', reason: `probe error: ${(error as Error).message}`, latencyMs: 0 };
    } finally {
      clearTimeout(timer);
      if (this.inFlight === controller) this.inFlight = undefined;
    }
    if (controller.signal.aborted && this.running && result.verdict !== 'unhealthy') {
      result = { ...result, verdict: 'unhealthy', reason: `no answer within ${timeout}ms` };
    }
    if (!this.running && controller.signal.aborted) return result;
    this.record(result);
    return result;
  }

  private record(result: ProbeResult): void {
    const { logger, failureThreshold } = this.options;
    this.last = result;
    this.options.onResult?.(result);
    const fields = { probe: result.probe, reason: result.reason, latencyMs: result.latencyMs, ...(result.details ?? {}) };

    if (result.verdict === 'misconfigured') {
      if (this.misconfigured !== result.reason) {
        this.misconfigured = result.reason;
        logger.emit('probe.misconfigured',{ ...fields }, `${result.probe}: ${result.reason} (check the config; not a reason to restart)`);
      }
      return;
    }
    this.misconfigured = undefined;

    if (result.verdict === 'healthy') {
      this.failures = 0;
      if (this.failed) {
        this.failed = false;
        logger.emit('probe.recovered',{ ...fields }, `${result.probe}: healthy again`);
        this.options.onRecovered?.(result);
      }
      return;
    }

    this.failures += 1;
    if (!this.failed && this.failures >= failureThreshold) {
      this.failed = true;
      logger.emit('probe.failed',{ ...fields, failures: this.failures }, `${result.probe}: ${result.reason}`);
      this.options.onFailed?.(result, this.failures);
    }
  }
}
