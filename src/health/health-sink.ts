import type { Clock, TimerHandle } from '../clock/clock.js';
import type { Evidence, EventLog } from '../log/events.js';
import type { RestartReason } from '../supervisor/restart-reasons.js';
import type { RunningChild, SupervisorState } from '../supervisor/types.js';
import { judgeListenedLink, type LinkedAccount } from './link-verdict.js';
import { DEFAULT_RULE, REPORT_ONLY, type BackendRule, type ProbeRule } from './probe-rules.js';
import type { BackendFact, BackendHealthPort, Fact, HealthResult } from './types.js';

/** The part of the supervisor the sink drives. */
export interface RestartTarget {
  requestRestart(reason: RestartReason, evidence?: Evidence): boolean;
  current(): RunningChild | undefined;
  state(): SupervisorState;
  readonly events: { on(name: 'spawn', listener: (child: RunningChild) => void): unknown };
}

/** What the sink tells its subscribers (state file, status endpoint, metrics, backend restarter, sources). */
export type HealthUpdate =
  /** A result as the sink recorded it (startup.grace and the differential link verdict applied). */
  | {
      kind: 'probe';
      result: HealthResult;
      /** Wall-clock milliseconds. */
      at: number;
      /** failed / recovered / misconfigured: a transition that was logged. */
      transition: 'failed' | 'recovered' | 'misconfigured' | undefined;
    }
  /** A fact of the backend's reducer. */
  | { kind: 'backend'; fact: BackendFact; at: number }
  /** The startup grace of the running bot ended (every grace subject healthy, or startup.grace over). */
  | { kind: 'grace-ended'; at: number; early: boolean };

export type HealthListener = (update: HealthUpdate) => void;

/** What a plug-in gets (`handle.health`): it reports results and facts and listens; it cannot restart the bot. */
export interface HealthPort extends BackendHealthPort {
  subscribe(listener: HealthListener): () => void;
  /** When the running bot's startup grace ends (pipeline clock); undefined when none runs or it is over. */
  graceEndsAt(): number | undefined;
}

export interface HealthSinkOptions {
  log: EventLog;
  clock: Clock;
  /** After each spawn, unhealthy results of grace subjects are `starting` for at most this long. */
  startupGrace: number;
  /** Per probe name; probes without a rule get DEFAULT_RULE (report only). */
  rules?: Record<string, ProbeRule>;
  /** What the backend's facts mean for the bot (default: reported only). */
  backend?: BackendRule;
}

interface ProbeState {
  streak: number;
  failed: boolean;
  misconfigured: string | undefined;
  /** Several NapCat accounts: since when the bot holds fewer links than accounts (link-verdict.ts). */
  shortSince?: number | undefined;
}

/** The running bot's start: which grace subjects said what, and whether the grace is over. */
interface Run {
  spawnedAt: number;
  /** Each grace subject that reported since the spawn: whether it proved the bot up. */
  up: Map<string, boolean>;
  graceOver: boolean;
  timer: TimerHandle | undefined;
}

/**
 * The one place every health signal flows through, and the one judge. Sources (probe loops, the
 * backend, the output scanner, the schedule) only report results and facts; the sink applies the
 * rules — thresholds, startup.grace (ended early once every grace subject is healthy), the
 * differential link verdict, the backend's policy — logs transitions (`probe.failed`,
 * `probe.recovered`, `probe.misconfigured`), tells its subscribers and asks the supervisor for
 * restarts. It is the only module outside src/supervisor/ that asks for restarts.
 */
export class HealthSink implements HealthPort {
  private target: RestartTarget | undefined;
  private readonly states = new Map<string, ProbeState>();
  private readonly listeners = new Set<HealthListener>();
  private readonly rules: Record<string, ProbeRule>;
  private backendRule: BackendRule;
  private run: Run | undefined;
  /** Accounts linked to the watchdog by NapCat (reverse WebSocket), for the differential verdict. */
  private readonly linked = new Map<string, LinkedAccount>();

  constructor(private readonly options: HealthSinkOptions) {
    this.rules = { ...(options.rules ?? {}) };
    this.backendRule = options.backend ?? REPORT_ONLY;
  }

  /** Connects the supervisor (done by the supervisor itself). */
  attach(target: RestartTarget): void {
    this.target = target;
    // A new run: what the bot's own probes said was about the old one.
    target.events.on('spawn', (child) => this.onSpawn(child));
  }

  /** Sets the rule of a probe (the composition root does, from the config). */
  setRule(probe: string, rule: ProbeRule): void {
    this.rules[probe] = rule;
  }

  /** Sets what the backend's facts mean for the bot (the kind's policy). */
  setBackendRule(rule: BackendRule): void {
    this.backendRule = rule;
  }

  subscribe(listener: HealthListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The handle plug-ins get: report, facts, subscribe, the grace's end; no restart, no rules. */
  port(): HealthPort {
    return {
      report: (result) => this.report(result),
      fact: (fact) => this.fact(fact),
      subscribe: (listener) => this.subscribe(listener),
      graceEndsAt: () => this.graceEndsAt(),
    };
  }

  graceEndsAt(): number | undefined {
    const run = this.run;
    if (!run || run.graceOver || !this.target?.current()) return undefined;
    return run.spawnedAt + this.options.startupGrace;
  }

  report(reported: HealthResult): void {
    const rule = this.ruleOf(reported.probe);
    const state = this.states.get(reported.probe) ?? fresh();
    this.states.set(reported.probe, state);
    const judged = rule.differential ? this.judgeLink(reported, rule.differential.grace, state) : reported;
    this.noteForGrace(judged, rule);
    const result = this.applyGrace(judged, rule);
    let transition: 'failed' | 'recovered' | 'misconfigured' | undefined;
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
    this.publish({ kind: 'probe', result, at: this.options.clock.wallNow(), transition });
  }

  /** A fact of the backend (or the schedule): published, then judged by the backend's rule. */
  fact(fact: Fact): void {
    if (fact.type === 'schedule-due') {
      this.restart('scheduled', { due: fact.due });
      return;
    }
    if (fact.type === 'linked') {
      if (fact.linked && !this.linked.has(fact.key)) this.linked.set(fact.key, { key: fact.key, account: fact.account, since: this.options.clock.now() });
      else if (!fact.linked) this.linked.delete(fact.key);
    }
    this.publish({ kind: 'backend', fact, at: this.options.clock.wallNow() });
    const rule = this.backendRule;
    switch (fact.type) {
      case 'down':
        if (rule.restartOnOutage) this.restart('backend-down', fact.evidence);
        return;
      case 'blip': {
        // Only a bot that was running when the link dropped lost its own link with ours.
        const child = this.target?.current();
        if (rule.restartOnOutage && child && child.spawnedAt < fact.lostAt) this.restart('backend-down', fact.evidence);
        return;
      }
      case 'account-online':
        // mirai-api-http #518: after a relogin the bot's session is stale; it must connect again.
        if (rule.restartOnRelogin) this.restart('account-relogin', fact.evidence);
        return;
      default:
        return;
    }
  }

  /** Whether a probe is failed now (after its threshold), for status. */
  isFailed(probe: string): boolean {
    return this.states.get(probe)?.failed ?? false;
  }

  private restart(reason: RestartReason, evidence: Evidence): boolean {
    return this.target?.requestRestart(reason, evidence) ?? false;
  }

  private onSpawn(child: RunningChild): void {
    for (const [probe, state] of this.states) if (this.ruleOf(probe).resetOnSpawn) this.states.set(probe, fresh(state));
    if (this.run) this.options.clock.clearTimeout(this.run.timer);
    const run: Run = { spawnedAt: child.spawnedAt, up: new Map(), graceOver: this.options.startupGrace <= 0, timer: undefined };
    this.run = run;
    if (!run.graceOver) {
      run.timer = this.options.clock.setTimeout(
        () => {
          run.timer = undefined;
          if (this.run === run && !run.graceOver) this.endGrace(run, false);
        },
        this.options.startupGrace,
        { unref: true },
      );
    }
  }

  /**
   * Kubernetes' startup-probe semantics: once every grace subject has reported healthy since the
   * spawn, the bot is up and faults count at once; startup.grace stays the bound for a bot that
   * never gets there.
   */
  private noteForGrace(result: HealthResult, rule: ProbeRule): void {
    const run = this.run;
    if (!rule.grace || !run || run.graceOver || !this.target?.current()) return;
    const now = this.options.clock.now();
    run.up.set(result.probe, result.verdict === 'healthy' && (rule.upWhen?.(result, run.spawnedAt, now) ?? true));
    if ([...run.up.values()].every(Boolean)) this.endGrace(run, true);
  }

  private endGrace(run: Run, early: boolean): void {
    run.graceOver = true;
    this.options.clock.clearTimeout(run.timer);
    run.timer = undefined;
    this.publish({ kind: 'grace-ended', at: this.options.clock.wallNow(), early });
  }

  private judgeLink(result: HealthResult, grace: number, state: ProbeState): HealthResult {
    const judged = judgeListenedLink(result, [...this.linked.values()], this.options.clock.now(), grace, state.shortSince);
    state.shortSince = judged.shortSince;
    return judged.result;
  }

  private failed(result: HealthResult, rule: ProbeRule, failures: number): void {
    const evidence = result.evidence ?? {};
    const fields: Evidence = { ...evidence, probe: result.probe, reason: result.reason, latencyMs: result.latencyMs };
    if (rule.threshold > 1) fields['failures'] = failures;
    this.options.log.emit('probe.failed', fields as { probe: string; reason: string }, `${result.probe}: ${result.reason}`);
    const reason = rule.restartFor?.(result) ?? rule.restart;
    if (reason) this.restart(reason, { probe: result.probe, detail: result.reason, ...evidence });
  }

  /** The run a bot probe watches is already being stopped (another probe, a signal): not a new failure of it. */
  private alreadyStopping(rule: ProbeRule): boolean {
    return rule.restart !== undefined && this.target !== undefined && this.target.state() !== 'running';
  }

  private applyGrace(result: HealthResult, rule: ProbeRule): HealthResult {
    if (result.verdict !== 'unhealthy' || !rule.grace) return result;
    const ends = this.graceEndsAt();
    if (ends === undefined || this.options.clock.now() >= ends) return result;
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
