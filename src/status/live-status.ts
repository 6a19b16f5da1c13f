import type { StateFile } from '../state/state-file.js';
import { buildStatusReport, type StatusReport } from '../state/status-report.js';
import type { SupervisorEventMap, SupervisorEvents } from '../supervisor/supervisor-events.js';
import type { BackendFact, HealthResult } from '../health/types.js';
import type { ChildExit, RunningChild, StopRequest, SupervisorHandle } from '../supervisor/types.js';
import { healthOf, type Health } from './health.js';
import type { StatusMetrics } from './metrics.js';

export type TimelineKind = 'spawn' | 'stop' | 'exit' | 'restart' | 'giveup' | 'probe' | 'backend' | 'account';

export interface TimelineEntry {
  at: string;
  kind: TimelineKind;
  /** A short sentence: "restarted", "bot started", "heartbeat: unhealthy". */
  title: string;
  /** The restart reason, or a probe's verdict. */
  reason?: string;
  detail?: string;
}

export interface LatencySample {
  /** Unix milliseconds. */
  at: number;
  ms: number;
  verdict: HealthResult['verdict'];
}

export interface BackendView {
  kind: string;
  state: 'up' | 'down' | 'unknown';
  reason?: string;
  since?: string;
}

export interface AccountView {
  state: 'online' | 'offline' | 'unknown';
  detail?: string;
  since?: string;
}

/** What the dashboard shows; sent whole on every update (a few KiB). */
export interface DashboardView {
  status: StatusReport;
  health: Health;
  backend: BackendView;
  account: AccountView;
  /** Newest first. */
  timeline: TimelineEntry[];
  latency: Record<string, LatencySample[]>;
  /** Server time of this view (ISO), so the page can count uptime on from it. */
  now: string;
}

export interface LiveStatusOptions {
  /** The supervisor's state as the state file has it (an in-memory StateWriter). */
  snapshot: () => StateFile;
  stateFile: string;
  backendKind: string;
  metrics: StatusMetrics;
  /** Removes secrets from anything shown. */
  redact: (value: unknown) => unknown;
  /** A failed update of the view (a bug): reported, never thrown into the supervisor. */
  onError?: (error: unknown) => void;
  /** Wall-clock milliseconds: the watchdog's clock. */
  now: () => number;
  timelineSize?: number;
  samplesPerProbe?: number;
}

/**
 * The live model behind the status endpoint: fed by the supervisor's events and the health sink's
 * updates (probe results; the backend's facts for outages, readiness and the QQ account), it keeps
 * the metrics, a timeline of what happened, each probe's recent latencies, and the backend and
 * account state, and tells subscribers (the dashboard's event stream) when anything changed.
 */
export class LiveStatus {
  private readonly timeline: TimelineEntry[] = [];
  private readonly latency = new Map<string, LatencySample[]>();
  private readonly verdicts = new Map<string, HealthResult['verdict']>();
  private backend: BackendView;
  private account: AccountView = { state: 'unknown' };
  private lastStop: StopRequest | undefined;
  private readonly listeners = new Set<() => void>();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly now: () => number;
  private readonly timelineSize: number;
  private readonly samplesPerProbe: number;

  constructor(private readonly options: LiveStatusOptions) {
    this.now = options.now;
    this.timelineSize = options.timelineSize ?? 200;
    this.samplesPerProbe = options.samplesPerProbe ?? 60;
    this.backend = { kind: options.backendKind, state: 'unknown' };
  }

  start(handle: Pick<SupervisorHandle, 'events' | 'current' | 'health'>): void {
    this.listen(handle.events, 'spawn', (child) => this.onSpawn(child));
    this.listen(handle.events, 'stop', (child, request) => this.onStop(child, request));
    this.listen(handle.events, 'exit', (child, exit, uptimeMs) => this.onExit(child, exit, uptimeMs));
    this.listen(handle.events, 'restart', (info) => this.onRestart(info));
    this.listen(handle.events, 'giveup', (info) => this.onGiveup(info));
    this.unsubscribe.push(
      handle.health.subscribe((update) => {
        if (update.kind === 'probe') this.onProbe(update.result, update.at);
        else if (update.kind === 'backend') this.onFact(update.fact);
      }),
    );
    this.listen(handle.events, 'state', () => this.changed());
    if (handle.current()) this.options.metrics.botStarted();
    else this.options.metrics.botStopped();
  }

  stop(): void {
    for (const off of this.unsubscribe.splice(0)) off();
    this.listeners.clear();
  }

  /** Called on every change (not throttled: the caller coalesces). */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** `GET /status`: what `bot-watchdog status --json` prints, live, secrets removed. */
  status(): StatusReport {
    const report = buildStatusReport(this.options.snapshot(), this.options.stateFile, this.now(), () => true);
    return this.options.redact(report) as StatusReport;
  }

  health(): Health {
    return this.options.redact(healthOf(this.options.snapshot())) as Health;
  }

  view(): DashboardView {
    const view: DashboardView = {
      status: this.status(),
      health: this.health(),
      backend: this.backend,
      account: this.account,
      timeline: [...this.timeline].reverse(),
      latency: Object.fromEntries(this.latency),
      now: new Date(this.now()).toISOString(),
    };
    return this.options.redact(view) as DashboardView;
  }

  /** A confirmed outage of the backend began. */
  backendOutage(): void {
    this.options.metrics.backendOutage();
    this.changed();
  }

  /** The backend as a whole is up or down. */
  backendState(up: boolean, reason?: string): void {
    const state = up ? 'up' : 'down';
    this.options.metrics.backendUp(up);
    if (this.backend.state === state && this.backend.reason === reason) return;
    const turned = this.backend.state !== state;
    this.backend = { kind: this.backend.kind, state, ...(reason === undefined ? {} : { reason }), since: turned ? this.iso() : (this.backend.since ?? this.iso()) };
    if (turned) this.add({ kind: 'backend', title: up ? 'backend up' : 'backend down', ...(reason === undefined ? {} : { detail: reason }) });
    this.changed();
  }

  /** The bot's QQ account is online (true), offline (false) or unknown (undefined). */
  accountOnline(online: boolean | undefined, detail?: string): void {
    const state = online === undefined ? 'unknown' : online ? 'online' : 'offline';
    this.options.metrics.accountOnline(online);
    if (this.account.state === state) return;
    this.account = { state, ...(detail === undefined ? {} : { detail }), since: this.iso() };
    if (state !== 'unknown') this.add({ kind: 'account', title: `QQ account ${state}`, ...(detail === undefined ? {} : { detail }) });
    this.changed();
  }

  private onSpawn(child: RunningChild): void {
    this.options.metrics.botStarted();
    this.add({ kind: 'spawn', title: 'bot started', detail: `pid ${child.pid}` });
    this.changed();
  }

  private onStop(child: RunningChild, request: StopRequest): void {
    this.lastStop = request;
    const detail = evidenceText(request.evidence);
    this.add({ kind: 'stop', title: `stopping pid ${child.pid}`, reason: request.reason, ...(detail ? { detail } : {}) });
    this.changed();
  }

  private onExit(child: RunningChild, exit: ChildExit, uptimeMs: number): void {
    this.options.metrics.botStopped();
    const how = exit.error ? `could not start: ${exit.error.message}` : exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
    this.add({ kind: 'exit', title: `pid ${child.pid} exited`, detail: `${how} after ${seconds(uptimeMs)}` });
    this.changed();
  }

  private onRestart(info: SupervisorEventMap['restart'][0]): void {
    const at = this.now();
    this.options.metrics.restart(info.reason, at);
    const stop = this.lastStop;
    this.lastStop = undefined;
    const cause = stop && stop.reason === info.reason ? evidenceText(stop.evidence) : this.lastExitText(info.reason);
    const when = info.delayMs > 0 ? `in ${seconds(info.delayMs)}` : 'at once';
    this.add({ kind: 'restart', title: 'restart', reason: info.reason, detail: [cause, `attempt ${info.attempt}, ${when}`].filter(Boolean).join('; ') });
    this.changed();
  }

  private onGiveup(info: SupervisorEventMap['giveup'][0]): void {
    this.add({ kind: 'giveup', title: 'gave up', detail: `${info.restarts} restarts within ${seconds(info.windowMs)} (restart.limit)` });
    this.changed();
  }

  private onProbe(report: HealthResult, at: number): void {
    this.options.metrics.probe(report);
    if (report.latencyMs !== undefined && Number.isFinite(report.latencyMs)) {
      const samples = this.latency.get(report.probe) ?? [];
      samples.push({ at, ms: Math.max(0, Math.round(report.latencyMs * 10) / 10), verdict: report.verdict });
      if (samples.length > this.samplesPerProbe) samples.splice(0, samples.length - this.samplesPerProbe);
      this.latency.set(report.probe, samples);
    }
    const previous = this.verdicts.get(report.probe);
    this.verdicts.set(report.probe, report.verdict);
    // The timeline shows failures and recoveries; "starting" after every spawn and a first healthy are not news.
    const bad = (verdict: string | undefined) => verdict === 'unhealthy' || verdict === 'misconfigured';
    if (previous !== report.verdict && (bad(report.verdict) || (report.verdict === 'healthy' && bad(previous)))) {
      this.add({ kind: 'probe', title: `${report.probe}: ${report.verdict}`, reason: report.verdict, ...(report.reason ? { detail: report.reason } : {}) });
    }
    this.changed();
  }

  /** The backend's facts say what the probes alone cannot: outages, readiness, the QQ account. */
  private onFact(fact: BackendFact): void {
    switch (fact.type) {
      case 'down':
        this.backendOutage();
        this.backendState(false, `${fact.probe}: ${fact.evidence.lastReason}`);
        return this.accountOnline(undefined);
      case 'ready':
        this.backendState(true);
        // Ready means the account is logged in (mirai's bot list, OneBot's status), unless it said otherwise since.
        if (this.account.state !== 'offline') this.accountOnline(true, 'the backend is ready');
        return;
      case 'account-offline':
      case 'account-online':
        return this.accountOnline(fact.type === 'account-online', fact.evidence.type);
    }
  }

  private lastExitText(reason: string): string | undefined {
    if (reason !== 'exited') return undefined;
    const exit = this.options.snapshot().lastExit;
    if (!exit) return undefined;
    return exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
  }

  private add(entry: Omit<TimelineEntry, 'at'>): void {
    this.timeline.push({ at: this.iso(), ...entry });
    if (this.timeline.length > this.timelineSize) this.timeline.splice(0, this.timeline.length - this.timelineSize);
  }

  private changed(): void {
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch (error) {
        this.options.onError?.(error);
      }
    }
  }

  private iso(): string {
    return new Date(this.now()).toISOString();
  }

  private listen<K extends keyof SupervisorEventMap>(events: SupervisorEvents, event: K, listener: (...args: SupervisorEventMap[K]) => void): void {
    // Supervision must never be disturbed by the status page: a failing update is dropped.
    const guarded = (...args: SupervisorEventMap[K]) => {
      try {
        listener(...args);
      } catch (error) {
        this.options.onError?.(error);
      }
    };
    this.unsubscribe.push(events.subscribe(event, guarded));
  }
}

/** The one-line explanation a stop carries: a probe's `detail`, else the backend's `lastReason`, else its `reason`. */
function evidenceText(evidence: Record<string, unknown> | undefined): string | undefined {
  if (!evidence) return undefined;
  for (const key of ['detail', 'lastReason', 'reason', 'cause']) {
    const value = evidence[key];
    if (typeof value === 'string' && value) return value.length > 300 ? `${value.slice(0, 297)}...` : value;
  }
  return undefined;
}

function seconds(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 120_000) return `${Math.round(ms / 100) / 10}s`;
  return `${Math.round(ms / 60_000)}m`;
}
