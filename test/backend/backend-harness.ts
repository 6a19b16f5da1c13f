import { EventEmitter } from 'node:events';
import { BackendMonitor, type BackendMonitorOptions } from '../../src/backend/backend-monitor.js';
import type { Probe, ProbeResult, Verdict } from '../../src/probes/probe.js';
import type { LinkAttempt, LinkLoss, LinkSignal, WsConnection } from '../../src/backend/ws-connection.js';
import { SupervisorEvents } from '../../src/supervisor/supervisor-events.js';
import type { ProbeReport, RunningChild, SupervisorHandle } from '../../src/supervisor/types.js';
import type { RestartReason } from '../../src/supervisor/restart-reasons.js';
import { flush } from '../helpers/fake-clock.js';
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

/** An open link the test drives: it can be lost or deliver signals. */
export class FakeConnection extends EventEmitter {
  closed = false;
  close(): void {
    this.closed = true;
  }
  lose(cause: LinkLoss['cause'], closeCode?: number): void {
    this.emit('lost', { cause, reason: `lost: ${cause}`, at: performance.now(), ...(closeCode === undefined ? {} : { closeCode }) });
  }
  signal(signal: LinkSignal): void {
    this.emit('signal', signal);
  }
}

/** The link's open(): answers with `mode` (or the next queued mode), recording each attempt. */
export class ScriptedLink {
  mode: 'up' | 'down' | 'misconfigured' = 'up';
  readonly queue: ('up' | 'down' | 'misconfigured')[] = [];
  readonly attempts: number[] = [];
  readonly connections: FakeConnection[] = [];

  constructor(readonly probe = 'mirai-ws') {}

  get last(): FakeConnection {
    return this.connections[this.connections.length - 1] as FakeConnection;
  }

  open = (): Promise<LinkAttempt> => {
    this.attempts.push(performance.now());
    const mode = this.queue.shift() ?? this.mode;
    const verdict: Verdict = mode === 'up' ? 'healthy' : mode === 'down' ? 'unhealthy' : 'misconfigured';
    const result: ProbeResult = { probe: this.probe, verdict, reason: mode === 'up' ? 'linked' : `link ${mode}`, latencyMs: 1 };
    if (mode !== 'up') return Promise.resolve({ result });
    const connection = new FakeConnection();
    this.connections.push(connection);
    return Promise.resolve({ result, connection: connection as unknown as WsConnection });
  };
}

/** The supervisor as the monitor sees it: a bot runs or not; restart requests are recorded. */
export class FakeHandle implements SupervisorHandle {
  readonly events = new SupervisorEvents();
  readonly restarts: { reason: RestartReason; evidence: Record<string, unknown> | undefined }[] = [];
  readonly reports: ProbeReport[] = [];
  child: RunningChild | undefined;

  spawn(): void {
    this.child = { pid: 4242, startTime: undefined, spawnedAt: 0, stdout: null, stderr: null, marker: { name: 'M', value: 'v' } };
    this.events.emit('spawn', this.child);
  }

  requestRestart(reason: RestartReason, evidence?: Record<string, unknown>): boolean {
    if (!this.child) return false;
    this.restarts.push({ reason, evidence });
    this.child = undefined; // the supervisor stops it
    return true;
  }

  current(): RunningChild | undefined {
    return this.child;
  }

  reportProbe(report: ProbeReport): void {
    this.reports.push(report);
  }

  state() {
    return this.child ? ('running' as const) : ('waiting-backend' as const);
  }
}

export function monitorHarness(options: { link?: false | BackendMonitorOptions['link']; linkAccount?: 'wait-for-relogin' | 'outage'; poll?: ScriptedPoll } = {}) {
  const log = memoryLogger();
  const poll = options.poll ?? new ScriptedPoll();
  const link = new ScriptedLink(options.linkAccount === 'outage' ? 'onebot-ws' : 'mirai-ws');
  const handle = new FakeHandle();
  const monitor = new BackendMonitor({
    poll,
    interval: 1000,
    timeout: 500,
    failureThreshold: 3,
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
  return { log, poll, link, handle, monitor, flush };
}
