import type { Clock } from '../clock/clock.js';
import type { Evidence, EventLog } from '../log/events.js';
import type { RestartReason } from '../supervisor/restart-reasons.js';
import type { RunningChild, SupervisorState } from '../supervisor/types.js';
import { DEFAULT_RULE, type ProbeRule } from './probe-rules.js';
import type { BackendHealthPort, HealthReporter, HealthResult } from './types.js';

/** The part of the supervisor the sink drives. */
export interface RestartTarget {
  requestRestart(reason: RestartReason, evidence?: Evidence): boolean;
  current(): RunningChild | undefined;
  state(): SupervisorState;
  readonly events: { on(name: 'spawn', listener: (child: RunningChild) => void): unknown };
}

/** A result as the sink recorded it, with the transition it caused, for subscribers. */
export interface HealthUpdate {
  result: HealthResult;
  /** Wall-clock milliseconds. */
  at: number;
  /** failed / recovered / misconfigured: a transition that was logged. */
  transition: 'failed' | 'recovered' | 'misconfigured' | undefined;
}

export type HealthListener = (update: HealthUpdate) => void;

export interface HealthSinkOptions {
  log: EventLog;
  clock: Clock;
  /** After each spawn, unhealthy results of probes with `grace` are `starting` for this long. */
  startupGrace: number;
  /** Per probe name; probes without a rule get DEFAULT_RULE (report only). */
  rules?: Record<string, ProbeRule>;
}

interface ProbeState {
  streak: number;
  failed: boolean;
  misconfigured: string | undefined;
}

/**
 * The one place every health signal flows through. Sources (probe loops, the backend, the output
 * scanner) only report results; the sink applies startup.grace, logs transitions
 * (`probe.failed`, `probe.recovered`, `probe.misconfigured`), tells its subscribers (the state
 * file, the status endpoint, metrics) and asks the supervisor for a restart when a probe's rule
 * says so. It is the only module outside src/supervisor/ that asks for restarts.
 */
export class HealthSink implements HealthReporter {
  private target: RestartTarget | undefined;
  private readonly states = new Map<string, ProbeState>();
  private readonly listeners = new Set<HealthListener>();
  private readonly rules: Record<string, ProbeRule>;

  constructor(private readonly options: HealthSinkOptions) {
    this.rules = { ...(options.rules ?? {}) };
  }

  /** Connects the supervisor (done by the supervisor itself). */
  attach(target: RestartTarget): void {
    this.target = target;
    // A new run: what the bot's own probes said was about the old one.
    target.events.on('spawn', () => {
      for (const [probe, state] of this.states) if (this.ruleOf(probe).resetOnSpawn) this.states.set(probe, fresh(state));
    });
  }

  /** Sets the rule of a probe (sources register theirs when they are built). */
  setRule(probe: string, rule: ProbeRule): void {
    this.rules[probe] = rule;
  }

  subscribe(listener: HealthListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  report(reported: HealthResult): void {
    const rule = this.ruleOf(reported.probe);
    const result = this.applyGrace(reported, rule);
    const state = this.states.get(result.probe) ?? fresh();
    this.states.set(result.probe, state);
    let transition: HealthUpdate['transition'];
    const fields = { probe: result.probe, reason: result.reason, latencyMs: result.latencyMs };

    switch (result.verdict) {
      case 'misconfigured':
        if (state.misconfigured !== result.reason) {
          state.misconfigured = result.reason;
          transition = 'misconfigured';
          this.options.log.emit(
            'probe.misconfigured',
            { ...(result.evidence ?? {}), ...fields },
            `${result.probe}: ${result.reason} (check the config; not a reason to restart)`,
          );
        }
        break;
      case 'healthy':
      case 'starting':
        state.misconfigured = undefined;
        state.streak = 0;
        if (result.verdict === 'healthy' && state.failed) {
          state.failed = false;
          transition = 'recovered';
          this.options.log.emit('probe.recovered', fields, `${result.probe}: healthy again`);
        }
        break;
      case 'unhealthy':
        state.misconfigured = undefined;
        state.streak += 1;
        if (!state.failed && state.streak >= rule.threshold && !this.alreadyStopping(rule)) {
          state.failed = true;
          transition = 'failed';
          this.failed(result, rule, state.streak);
        }
        break;
      case 'unknown':
        break;
    }
    this.publish({ result, at: this.options.clock.wallNow(), transition });
  }

  /**
   * A restart decided by a source that judges more than one result (the backend's readiness, the
   * schedule). False when no bot runs or it is already being stopped.
   */
  restart(reason: RestartReason, evidence: Evidence): boolean {
    return this.target?.requestRestart(reason, evidence) ?? false;
  }

  /** The backend's port: report its results, ask for outage restarts, know when the bot started. */
  backendPort(): BackendHealthPort {
    return {
      report: (result) => this.report(result),
      restart: (reason, evidence) => this.restart(reason, evidence),
      botSpawnedAt: () => this.target?.current()?.spawnedAt,
    };
  }

  /** Whether a probe is failed now (after its threshold), for status. */
  isFailed(probe: string): boolean {
    return this.states.get(probe)?.failed ?? false;
  }

  private failed(result: HealthResult, rule: ProbeRule, failures: number): void {
    const evidence = result.evidence ?? {};
    this.options.log.emit(
      'probe.failed',
      { ...evidence, probe: result.probe, reason: result.reason, latencyMs: result.latencyMs, ...(rule.threshold > 1 ? { failures } : {}) },
      `${result.probe}: ${result.reason}`,
    );
    const reason = rule.restartFor?.(result) ?? rule.restart;
    if (reason) this.restart(reason, { probe: result.probe, detail: result.reason, ...evidence });
  }

  /** The run a bot probe watches is already being stopped (another probe, a signal): not a new failure of it. */
  private alreadyStopping(rule: ProbeRule): boolean {
    return rule.restart !== undefined && this.target !== undefined && this.target.state() !== 'running';
  }

  private applyGrace(result: HealthResult, rule: ProbeRule): HealthResult {
    if (result.verdict !== 'unhealthy' || !rule.grace) return result;
    const child = this.target?.current();
    if (!child || this.options.clock.now() >= child.spawnedAt + this.options.startupGrace) return result;
    return { ...result, verdict: 'starting', reason: `starting (startup.grace): ${result.reason}` };
  }

  private ruleOf(probe: string): ProbeRule {
    return this.rules[probe] ?? DEFAULT_RULE;
  }

  private publish(update: HealthUpdate): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(update);
      } catch (error) {
        // A subscriber's bug (state file, metrics) must not take the watchdog down.
        this.options.log.emit('monitor.error', { monitor: 'health', err: error }, 'a health subscriber failed');
      }
    }
  }
}

function fresh(previous?: ProbeState): ProbeState {
  return { streak: 0, failed: false, misconfigured: previous?.misconfigured };
}
