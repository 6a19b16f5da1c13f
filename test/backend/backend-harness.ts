import { EventEmitter } from 'node:events';
import { BackendWatcher, type BackendWatcherOptions } from '../../src/backend/backend-watcher.js';
import type { LinkAttempt, LinkLoss, LinkSignal, WsConnection } from '../../src/backend/ws-connection.js';
import type { Clock } from '../../src/clock/clock.js';
import { HealthSink } from '../../src/health/health-sink.js';
import type { BackendHealthPort, Fact, HealthResult } from '../../src/health/types.js';
import { backendRuleOf, POLICIES, type BackendPolicy } from '../../src/backend/policy.js';
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

/**
 * The health pipeline as the backend sees it: a real health sink (with the kind's backend rule)
 * in front of a bot that runs or not; results, facts and the restarts the sink asked for are recorded.
 */
export class FakePort implements BackendHealthPort {
  readonly restarts: { reason: RestartReason; evidence: Record<string, unknown> }[] = [];
  readonly reports: HealthResult[] = [];
  readonly facts: Fact[] = [];
  private spawnedAt: number | undefined;
  private readonly sink: HealthSink;

  constructor(
    private readonly clock: Clock,
    policy: BackendPolicy = POLICIES.mirai,
  ) {
    this.sink = new HealthSink({ log: memoryLogger().logger, clock, startupGrace: 0, backend: backendRuleOf(policy) });
    this.sink.attach({
      requestRestart: (reason, evidence) => {
        if (this.spawnedAt === undefined) return false;
        this.restarts.push({ reason, evidence: evidence ?? {} });
        this.spawnedAt = undefined; // the supervisor stops it
        return true;
      },
      current: () => (this.spawnedAt === undefined ? undefined : { pid: 1, startTime: undefined, spawnedAt: this.spawnedAt, stdout: null, stderr: null, marker: { name: 'M', value: 'v' } }),
      state: () => (this.spawnedAt === undefined ? 'backoff' : 'running'),
      events: new EventEmitter(),
    });
  }

  /** A bot starts now. */
  spawn(): void {
    this.spawnedAt = this.clock.now();
  }

  report(result: HealthResult): void {
    this.reports.push(result);
    this.sink.report(result);
  }

  fact(fact: Fact): void {
    this.facts.push(fact);
    this.sink.fact(fact);
  }

  /** The verdicts reported for `probe`, in order. */
  verdicts(probe: string): string[] {
    return this.reports.filter((r) => r.probe === probe).map((r) => r.verdict);
  }
}

export function watcherHarness(options: { link?: false | BackendWatcherOptions['link']; linkAccount?: 'wait-for-relogin' | 'outage'; poll?: ScriptedPoll } = {}) {
  const clock = new FakeClock();
  const log = memoryLogger();
  const poll = options.poll ?? new ScriptedPoll();
  const link = new ScriptedLink(clock, options.linkAccount === 'outage' ? 'onebot-ws' : 'mirai-ws');
  const policy = options.linkAccount === 'outage' ? POLICIES.onebot : POLICIES.mirai;
  const port = new FakePort(clock, policy);
  const watcher = new BackendWatcher({
    policy,
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
            reconnect: { initialDelay: 100, maxDelay: 1000 },
            misconfiguredRetry: 30_000,
          },
        }),
  });
  return { clock, log, poll, link, port, watcher, flush };
}
