import { EventEmitter } from 'node:events';
import { BackendMonitor, type BackendMonitorOptions } from '../../src/backend/backend-monitor.js';
import type { LinkAttempt, LinkLoss, LinkSignal, WsConnection } from '../../src/backend/ws-connection.js';
import type { Clock } from '../../src/clock/clock.js';
import type { BackendHealthPort, HealthResult } from '../../src/health/types.js';
import type { Probe, ProbeResult, Verdict } from '../../src/probes/probe.js';
import type { RestartReason } from '../../src/supervisor/restart-reasons.js';
import { FakeClock, flush } from '../helpers/fake-clock.js';
import { memoryLogger } from '../helpers/log-sink.js';

/** A poll probe whose verdict the test sets. */
export class ScriptedPoll implements Probe {
  readonly name: string;
  verdict: Verdict = 'healthy';
  reason = 'ok';
  latencyMs = 0;
  calls = 0;

  constructor(name = 'mirai-http') {
    this.name = name;
  }

  set(verdict: Verdict, reason = verdict === 'healthy' ? 'ok' : `poll ${verdict}`): void {
    this.verdict = verdict;
    this.reason = reason;
  }

  check(): Promise<ProbeResult> {
    this.calls += 1;
    return Promise.resolve({ probe: this.name, verdict: this.verdict, reason: this.reason, latencyMs: this.latencyMs });
  }
}

/** An open link the test drives: it can be lost or deliver signals. Losses are stamped on `clock`. */
export class FakeConnection extends EventEmitter {
  closed = false;

  constructor(private readonly clock: Pick<Clock, 'now'>) {
    super();
  }

  close(): void {
    this.closed = true;
  }

  lose(cause: LinkLoss['cause'], closeCode?: number): void {
    this.emit('lost', { cause, reason: `lost: ${cause}`, at: this.clock.now(), ...(closeCode === undefined ? {} : { closeCode }) });
  }

  signal(signal: LinkSignal): void {
    this.emit('signal', signal);
  }
}

/** The link's open(): answers with `mode` (or the next queued mode), recording the time of each attempt. */
export class ScriptedLink {
  mode: 'up' | 'down' | 'misconfigured' = 'up';
  readonly queue: ('up' | 'down' | 'misconfigured')[] = [];
  readonly attempts: number[] = [];
  readonly connections: FakeConnection[] = [];

  constructor(
    readonly clock: Pick<Clock, 'now'>,
    readonly probe = 'mirai-ws',
  ) {}

  get last(): FakeConnection {
    return this.connections[this.connections.length - 1] as FakeConnection;
  }

  open = (): Promise<LinkAttempt> => {
    this.attempts.push(this.clock.now());
    const mode = this.queue.shift() ?? this.mode;
    const verdict: Verdict = mode === 'up' ? 'healthy' : mode === 'down' ? 'unhealthy' : 'misconfigured';
    const result: ProbeResult = { probe: this.probe, verdict, reason: mode === 'up' ? 'linked' : `link ${mode}`, latencyMs: 1 };
    if (mode !== 'up') return Promise.resolve({ result });
    const connection = new FakeConnection(this.clock);
    this.connections.push(connection);
    return Promise.resolve({ result, connection: connection as unknown as WsConnection });
  };
}

/** The health pipeline as the backend sees it: a bot runs or not; results and restarts are recorded. */
export class FakePort implements BackendHealthPort {
  readonly restarts: { reason: RestartReason; evidence: Record<string, unknown> }[] = [];
  readonly reports: HealthResult[] = [];
  private spawnedAt: number | undefined;

  constructor(private readonly clock: Pick<Clock, 'now'>) {}

  /** A bot starts now. */
  spawn(): void {
    this.spawnedAt = this.clock.now();
  }

  report(result: HealthResult): void {
    this.reports.push(result);
  }

  restart(reason: 'backend-down' | 'account-relogin', evidence: Record<string, unknown>): boolean {
    if (this.spawnedAt === undefined) return false;
    this.restarts.push({ reason, evidence });
    this.spawnedAt = undefined; // the supervisor stops it
    return true;
  }

  botSpawnedAt(): number | undefined {
    return this.spawnedAt;
  }

  /** The verdicts reported for `probe`, in order. */
  verdicts(probe: string): string[] {
    return this.reports.filter((r) => r.probe === probe).map((r) => r.verdict);
  }
}

export function monitorHarness(options: { link?: false | BackendMonitorOptions['link']; linkAccount?: 'wait-for-relogin' | 'outage'; poll?: ScriptedPoll } = {}) {
  const clock = new FakeClock();
  const log = memoryLogger();
  const poll = options.poll ?? new ScriptedPoll();
  const link = new ScriptedLink(clock, options.linkAccount === 'outage' ? 'onebot-ws' : 'mirai-ws');
  const port = new FakePort(clock);
  const monitor = new BackendMonitor({
    poll,
    interval: 1000,
    timeout: 500,
    failureThreshold: 3,
    port,
    clock,
    logger: log.logger,
    waitingLogEvery: 2000,
    ...(options.link === false
      ? {}
      : {
          link: options.link ?? {
            probe: link.probe,
            open: link.open,
            accountOffline: options.linkAccount ?? 'wait-for-relogin',
            reconnect: { initialDelay: 100, maxDelay: 1000 },
            misconfiguredRetry: 30_000,
          },
        }),
  });
  return { clock, log, poll, link, port, monitor, flush };
}
