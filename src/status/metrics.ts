import { createRequire } from 'node:module';
import type { Counter as CounterType, Gauge as GaugeType, Histogram as HistogramType, Registry as RegistryType } from 'prom-client';
import { REASON_RULES } from '../supervisor/restart-reasons.js';
import type { HealthResult } from '../health/types.js';

// prom-client is CommonJS: required, not imported (no named-export parse on every start).
const require = createRequire(import.meta.url);
const { Counter, Gauge, Histogram, Registry } = require('prom-client') as typeof import('prom-client');

export const METRIC_PREFIX = 'bot_watchdog_';

/** Seconds. From a local socket check (1 ms) to a poll that runs into its timeout (3 s by default). */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface StatusMetricsOptions {
  /** `backend.kind`: the backend and account series carry it as the `backend` label; none with "none". */
  backendKind: string;
  /** Wall-clock milliseconds, for timestamps (the injected clock's `wallNow`). */
  now: () => number;
  /** Monotonic milliseconds, for the uptime (a clock step must not change it): the clock's `now`. */
  monotonic: () => number;
}

/**
 * The watchdog's Prometheus metrics, in a registry of its own (never prom-client's global one).
 * Each method is one update, called by the status plug-in from the supervisor's events, and by
 * the backend code for outages and the account (`backendOutage()`, `backendUp()`, `accountOnline()`).
 * Uptime and the process figures are computed when scraped: nothing runs between scrapes.
 */
export class StatusMetrics {
  readonly registry: RegistryType;
  private readonly restarts: CounterType<'reason'>;
  private readonly botUpGauge: GaugeType;
  private readonly lastRestartGauge: GaugeType;
  private readonly probeUp: GaugeType<'probe'>;
  private readonly probeLatency: HistogramType<'probe'>;
  private readonly outages: CounterType<'backend'> | undefined;
  private readonly backendUpGauge: GaugeType<'backend'> | undefined;
  private readonly accountGauge: GaugeType<'backend'> | undefined;
  private readonly backendKind: string;
  private readonly now: () => number;
  private readonly monotonic: () => number;
  private botSince: number | undefined;

  constructor(options: StatusMetricsOptions) {
    this.now = options.now;
    this.monotonic = options.monotonic;
    this.backendKind = options.backendKind;
    this.registry = new Registry();
    const registers = [this.registry];
    const name = (suffix: string) => `${METRIC_PREFIX}${suffix}`;

    this.restarts = new Counter({ name: name('restarts_total'), help: 'Restarts of the bot, by reason', labelNames: ['reason'], registers });
    // Every reason's series exists (at 0) before its first restart: rate() and increase() then see the first one.
    for (const reason of Object.keys(REASON_RULES)) this.restarts.inc({ reason }, 0);
    this.botUpGauge = new Gauge({ name: name('bot_up'), help: '1 while the bot runs, else 0', registers });
    const uptime: GaugeType = new Gauge({
      name: name('bot_uptime_seconds'),
      help: 'Seconds since the running bot was started; 0 while none runs',
      registers,
      collect: () => uptime.set(this.botSince === undefined ? 0 : Math.max(0, (this.monotonic() - this.botSince) / 1000)),
    });
    this.lastRestartGauge = new Gauge({ name: name('last_restart_timestamp_seconds'), help: 'Unix time of the last restart of the bot; 0 before the first', registers });
    this.probeUp = new Gauge({ name: name('probe_up'), help: '1 while the probe\'s last verdict is healthy, else 0', labelNames: ['probe'], registers });
    this.probeLatency = new Histogram({
      name: name('probe_latency_seconds'),
      help: 'Time each probe check took',
      labelNames: ['probe'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    if (options.backendKind !== 'none') {
      this.outages = new Counter({ name: name('backend_outages_total'), help: 'Confirmed outages of the backend', labelNames: ['backend'], registers });
      this.outages.inc({ backend: options.backendKind }, 0);
      this.backendUpGauge = new Gauge({
        name: name('backend_up'),
        help: '1 while the backend is ready, 0 after a confirmed outage (absent until the first of them)',
        labelNames: ['backend'],
        registers,
      });
      if (options.backendKind === 'mirai' || options.backendKind === 'onebot') {
        this.accountGauge = new Gauge({
          name: name('account_online'),
          help: '1 while the bot\'s QQ account is online at the backend, 0 while it is offline (absent while unknown)',
          labelNames: ['backend'],
          registers,
        });
      }
    }
    processMetrics(registers, name, this.now);
  }

  /** The bot was spawned just now. */
  botStarted(): void {
    this.botSince = this.monotonic();
    this.botUpGauge.set(1);
  }

  botStopped(): void {
    this.botSince = undefined;
    this.botUpGauge.set(0);
  }

  restart(reason: string, at: number = this.now()): void {
    this.restarts.inc({ reason });
    this.lastRestartGauge.set(Math.round(at / 1000));
  }

  probe(report: Pick<HealthResult, 'probe' | 'verdict' | 'latencyMs'>): void {
    this.probeUp.set({ probe: report.probe }, report.verdict === 'healthy' ? 1 : 0);
    if (report.latencyMs !== undefined && Number.isFinite(report.latencyMs) && report.latencyMs >= 0) {
      this.probeLatency.observe({ probe: report.probe }, report.latencyMs / 1000);
    }
  }

  /** A confirmed outage of the backend began. */
  backendOutage(): void {
    this.outages?.inc({ backend: this.backendKind });
  }

  backendUp(up: boolean): void {
    this.backendUpGauge?.set({ backend: this.backendKind }, up ? 1 : 0);
  }

  /** Online, offline, or unknown (`undefined`: the series disappears, as while the backend is down). */
  accountOnline(online: boolean | undefined): void {
    if (online === undefined) this.accountGauge?.remove({ backend: this.backendKind });
    else this.accountGauge?.set({ backend: this.backendKind }, online ? 1 : 0);
  }

  /** The text Prometheus scrapes. */
  async render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/**
 * The watchdog process's own CPU, memory, start time and open files, read when scraped.
 * Not prom-client's default metrics: those sample the event loop's delay on a 10 ms timer all
 * the time, a cost an idle sidecar should not pay.
 */
function processMetrics(registers: RegistryType[], name: (suffix: string) => string, now: () => number): void {
  const startSeconds = Math.round(now() / 1000 - process.uptime());
  const cpu: CounterType = new Counter({
    name: name('process_cpu_seconds_total'),
    help: 'CPU time (user and system) the watchdog process has used, in seconds',
    registers,
    collect: () => {
      const usage = process.cpuUsage();
      cpu.reset();
      cpu.inc((usage.user + usage.system) / 1e6);
    },
  });
  const memory: GaugeType = new Gauge({
    name: name('process_resident_memory_bytes'),
    help: 'Resident memory of the watchdog process',
    registers,
    collect: () => memory.set(process.memoryUsage.rss()),
  });
  new Gauge({ name: name('process_start_time_seconds'), help: 'Unix time the watchdog process started', registers }).set(startSeconds);
}
