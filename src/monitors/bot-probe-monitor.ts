import type { EventLog } from '../log/events.js';
import type { Probe, ProbeResult } from '../probes/probe.js';
import { systemClock } from '../clock/clock.js';
import type { RestartReason } from '../supervisor/restart-reasons.js';
import type { Monitor, RunningChild, SupervisorHandle } from '../supervisor/types.js';
import { ProbeLoop } from './probe-loop.js';
import { followRuns } from './follow-runs.js';

export interface BotProbeMonitorOptions<P extends Probe> {
  /** Monitor name (logs). */
  name: string;
  /** Restart reason when the probe fails. */
  reason: RestartReason;
  /** Time between checks. */
  interval: number;
  /** A check that takes longer counts as unhealthy. */
  timeout: number;
  /** After each spawn, unhealthy results do not count for this long (the bot is still starting). */
  startupGrace: number;
  logger: EventLog;
  /** Monotonic milliseconds: the supervisor's clock (RunningChild.spawnedAt is on it). */
  now?: () => number;
  /** Runs once in start(); false disables the monitor (it has logged why). */
  setup?: () => boolean | Promise<boolean>;
  /** The probe for one run of the bot. */
  probeFor: (child: RunningChild) => P;
  /**
   * Milliseconds until this probe's verdict can turn unhealthy (e.g. maxAge − file age). When
   * that is sooner than the next interval, the monitor checks again exactly then, so detection
   * does not wait for the next tick.
   */
  dueIn?: (result: ProbeResult, probe: P) => number | undefined;
}

interface Armed {
  child: RunningChild;
  loop: ProbeLoop;
  recheck: NodeJS.Timeout | undefined;
}

/**
 * Runs one interval probe against each run of the bot: armed on `spawn`, disarmed on `exit`.
 * Unhealthy results during startup.grace are reported as "unknown" and do not count; after it, one
 * unhealthy result (the probe's own window — maxAge, grace — is the tolerance) logs `probe.failed`
 * with the evidence and asks the supervisor for a restart, which goes through the same backoff
 * and restart.limit as an exit.
 */
export class BotProbeMonitor<P extends Probe> implements Monitor {
  readonly name: string;
  private handle: SupervisorHandle | undefined;
  private armed: Armed | undefined;
  private enabled = false;
  private readonly now: () => number;
  private unfollow: (() => void) | undefined;

  constructor(private readonly options: BotProbeMonitorOptions<P>) {
    this.name = options.name;
    this.now = options.now ?? systemClock.now;
  }

  async start(handle: SupervisorHandle): Promise<void> {
    this.enabled = (await this.options.setup?.()) ?? true;
    if (!this.enabled) return;
    this.handle = handle;
    this.unfollow = followRuns(
      handle,
      (child) => this.arm(child),
      (child) => {
        if (this.armed?.child.pid === child.pid) this.disarm();
      },
    );
  }

  stop(): void {
    this.disarm();
    this.unfollow?.();
    this.unfollow = undefined;
    this.handle = undefined;
  }

  private arm(child: RunningChild): void {
    this.disarm();
    const handle = this.handle;
    if (!handle) return;
    const { logger, interval, timeout, startupGrace, reason } = this.options;
    const inner = this.options.probeFor(child);
    const graceEnd = child.spawnedAt + startupGrace;
    const probe: Probe = {
      name: inner.name,
      check: async (signal) => {
        const result = await inner.check(signal);
        if (result.verdict !== 'unhealthy' || this.now() >= graceEnd) return result;
        return { ...result, verdict: 'healthy', reason: `starting (startup.grace): ${result.reason}`, details: { ...result.details, starting: true } };
      },
    };
    const armed: Armed = {
      child,
      recheck: undefined,
      loop: new ProbeLoop({
        probe,
        interval,
        timeout,
        failureThreshold: 1,
        logger,
        onResult: (result) => {
          if (this.armed !== armed) return;
          this.scheduleRecheck(armed, result, inner, graceEnd);
          const starting = result.details?.['starting'] === true;
          try {
            handle.reportProbe({
              probe: result.probe,
              verdict: starting ? 'unknown' : result.verdict,
              reason: result.reason,
              latencyMs: result.latencyMs,
              at: Date.now(),
            });
          } catch (error) {
            // A listener's bug (state file, metrics) must not take the watchdog down.
            logger.emit('monitor.error',{ monitor: this.name, err: error }, 'a probe report listener failed');
          }
        },
        onFailed: (result) => {
          if (this.armed !== armed) return; // a check that finished after its run ended
          handle.requestRestart(reason, { probe: result.probe, detail: result.reason, ...(result.details ?? {}) });
        },
      }),
    };
    this.armed = armed;
    armed.loop.start();
  }

  private scheduleRecheck(armed: Armed, result: ProbeResult, inner: P, graceEnd: number): void {
    if (armed.recheck) clearTimeout(armed.recheck);
    armed.recheck = undefined;
    if (result.verdict !== 'healthy') return;
    const probeDue = this.options.dueIn?.(result, inner);
    if (probeDue === undefined) return;
    const due = Math.max(probeDue, graceEnd - this.now());
    if (due >= this.options.interval) return;
    armed.recheck = setTimeout(() => {
      armed.recheck = undefined;
      if (this.armed === armed) armed.loop.checkNow().catch(() => {});
    }, Math.max(1, Math.ceil(due) + 1));
    armed.recheck.unref?.();
  }

  private disarm(): void {
    const armed = this.armed;
    this.armed = undefined;
    if (!armed) return;
    if (armed.recheck) clearTimeout(armed.recheck);
    armed.loop.stop();
  }
}
