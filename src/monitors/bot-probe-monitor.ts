import type { Clock, TimerHandle } from '../clock/clock.js';
import { botProbeRule } from '../health/probe-rules.js';
import type { HealthReporter, HealthResult } from '../health/types.js';
import type { Probe, ProbeResult } from '../probes/probe.js';
import type { RestartReason } from '../supervisor/restart-reasons.js';
import type { Monitor, RunningChild, SupervisorHandle } from '../supervisor/types.js';
import { ProbeLoop } from '../health/probe-loop.js';
import { followRuns } from './follow-runs.js';
import { toHealthResult } from './to-health-result.js';

export interface BotProbeMonitorOptions<P extends Probe> {
  /** The probe's name (its results, logs and rule in the health sink). */
  name: string;
  /** Restart reason when the probe fails. */
  reason: RestartReason;
  /** The reason for one failed result, when a probe has several (default: `reason`). */
  reasonFor?: (result: HealthResult) => RestartReason;
  /** Time between checks. */
  interval: number;
  /** A check that takes longer counts as unhealthy. */
  timeout: number;
  /** After each spawn, the sink counts unhealthy results as `starting`; a recheck is due when it ends. */
  startupGrace: number;
  clock: Clock;
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
  recheck: TimerHandle | undefined;
}

/**
 * Runs one interval probe against each run of the bot: armed on `spawn`, disarmed on `exit`.
 * Every result goes to the health sink, whose rule for this probe (threshold 1, startup.grace,
 * restart with `reason`) decides; one unhealthy result after the grace (the probe's own window —
 * maxAge, grace — is the tolerance) restarts the bot through the same backoff and restart.limit as
 * an exit.
 */
export class BotProbeMonitor<P extends Probe> implements Monitor {
  readonly name: string;
  private health: HealthReporter | undefined;
  private armed: Armed | undefined;
  private unfollow: (() => void) | undefined;

  constructor(private readonly options: BotProbeMonitorOptions<P>) {
    this.name = options.name;
  }

  async start(handle: SupervisorHandle): Promise<void> {
    const enabled = (await this.options.setup?.()) ?? true;
    if (!enabled) return;
    handle.health.setRule(this.options.name, botProbeRule(this.options.reason, true, this.options.reasonFor));
    this.health = handle.health;
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
    this.health = undefined;
  }

  private arm(child: RunningChild): void {
    this.disarm();
    const health = this.health;
    if (!health) return;
    const { interval, timeout, clock } = this.options;
    const probe = this.options.probeFor(child);
    const armed: Armed = {
      child,
      recheck: undefined,
      loop: new ProbeLoop({
        probe,
        interval,
        timeout,
        clock,
        onResult: (result) => {
          if (this.armed !== armed) return; // a check that finished after its run ended
          this.scheduleRecheck(armed, result, probe);
          health.report(toHealthResult(result));
        },
      }),
    };
    this.armed = armed;
    armed.loop.start();
  }

  private scheduleRecheck(armed: Armed, result: ProbeResult, probe: P): void {
    const { clock } = this.options;
    clock.clearTimeout(armed.recheck);
    armed.recheck = undefined;
    const graceEnd = armed.child.spawnedAt + this.options.startupGrace;
    // Unhealthy within the grace is only `starting`: check again when the grace ends.
    if (result.verdict !== 'healthy' && clock.now() >= graceEnd) return;
    const probeDue = this.options.dueIn?.(result, probe);
    if (probeDue === undefined) return;
    const due = Math.max(probeDue, graceEnd - clock.now());
    if (due >= this.options.interval) return;
    armed.recheck = clock.setTimeout(
      () => {
        armed.recheck = undefined;
        if (this.armed === armed) armed.loop.checkNow().catch(() => {});
      },
      Math.max(1, Math.ceil(due) + 1),
      { unref: true },
    );
  }

  private disarm(): void {
    const armed = this.armed;
    this.armed = undefined;
    if (!armed) return;
    this.options.clock.clearTimeout(armed.recheck);
    armed.loop.stop();
  }
}
