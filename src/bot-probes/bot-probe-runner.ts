import type { Clock, TimerHandle } from '../clock/clock.js';
import type { HealthPort } from '../health/health-sink.js';
import type { Probe, ProbeResult } from '../probes/probe.js';
import type { Plugin, RunningChild, SupervisorHandle } from '../supervisor/types.js';
import { ProbeLoop } from '../health/probe-loop.js';
import { followRuns } from './follow-runs.js';
import { toHealthResult } from './to-health-result.js';

export interface BotProbeRunnerOptions<P extends Probe> {
  /** The probe's name (its results, logs and rule in the health sink). */
  name: string;
  /** Time between checks. */
  interval: number;
  /** A check that takes longer counts as unhealthy. */
  timeout: number;
  clock: Clock;
  /** Runs once in start(); false disables the runner (it has logged why). */
  setup?: () => boolean | Promise<boolean>;
  /** The probe for one run of the bot. */
  probeFor: (child: RunningChild) => P;
  /**
   * Milliseconds until this probe's verdict can turn unhealthy (e.g. maxAge − file age). When
   * that is sooner than the next interval, the runner checks again exactly then, so detection
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
 * Every result goes to the health sink, whose rule for this probe (src/bot-probes/build-bot-probes.ts:
 * threshold 1, startup.grace, the restart reason) decides; the runner only asks the sink when
 * the grace ends, to check again exactly then.
 */
export class BotProbeRunner<P extends Probe> implements Plugin {
  readonly name: string;
  private health: HealthPort | undefined;
  private armed: Armed | undefined;
  private unfollow: (() => void) | undefined;

  constructor(private readonly options: BotProbeRunnerOptions<P>) {
    this.name = options.name;
  }

  async start(handle: SupervisorHandle): Promise<void> {
    const enabled = (await this.options.setup?.()) ?? true;
    if (!enabled) return;
    this.health = handle.health;
    this.unfollow = followRuns(
      handle,
      (child) => this.arm(child),
      () => this.disarm(),
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
    // Known from the spawn on: the sink's grace ends only once every probe of the run proved the bot up.
    health.report({ probe: this.options.name, verdict: 'unknown', reason: 'first check of this run pending', latencyMs: 0 });
    armed.loop.start();
  }

  private scheduleRecheck(armed: Armed, result: ProbeResult, probe: P): void {
    const { clock } = this.options;
    clock.clearTimeout(armed.recheck);
    armed.recheck = undefined;
    const graceEnd = this.health?.graceEndsAt() ?? clock.now();
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
