// A SupervisorHandle for plug-in unit tests: a real health sink in front of a fake supervisor; the
// test emits spawn/exit and reads what the sink recorded and asked for.
import { PassThrough } from 'node:stream';
import type { Clock } from '../../src/clock/clock.js';
import { HealthSink, type HealthPort, type HealthUpdate, type RestartTarget } from '../../src/health/health-sink.js';
import type { HealthResult } from '../../src/health/types.js';
import type { EventLog } from '../../src/log/events.js';
import type { RestartReason } from '../../src/supervisor/restart-reasons.js';
import { SupervisorEvents } from '../../src/supervisor/supervisor-events.js';
import type { RunningChild, SupervisorHandle, SupervisorState } from '../../src/supervisor/types.js';
import { memoryLogger } from './log-sink.js';
import { FakeClock } from './fake-clock.js';

export class FakeHandle implements SupervisorHandle, RestartTarget {
  readonly events = new SupervisorEvents();
  /** The sink itself: tests set its rules, as the composition root does. */
  readonly sink: HealthSink;
  /** What plug-ins get. */
  readonly health: HealthPort;
  readonly restarts: { reason: RestartReason; evidence: Record<string, unknown> | undefined; at: number }[] = [];
  /** Every result as the sink recorded it (startup.grace applied), with the wall-clock time it did. */
  readonly reports: (HealthResult & { at: number })[] = [];
  /** Every update the sink published (results, backend facts, the grace's end). */
  readonly updates: HealthUpdate[] = [];
  private child: RunningChild | undefined;
  private nextPid = 1000;

  readonly clock: Clock;

  constructor(clock: Clock = new FakeClock(), logger: EventLog = memoryLogger().logger, startupGrace = 0) {
    this.clock = clock;
    this.sink = new HealthSink({ log: logger, clock: this.clock, startupGrace });
    this.sink.attach(this);
    this.health = this.sink.port();
    this.sink.subscribe((update) => {
      this.updates.push(update);
      if (update.kind === 'probe') this.reports.push({ ...update.result, at: update.at });
    });
  }

  requestRestart(reason: RestartReason, evidence?: Record<string, unknown>): boolean {
    if (!this.child) return false;
    this.restarts.push({ reason, evidence, at: this.clock.now() });
    return true;
  }

  current(): RunningChild | undefined {
    return this.child;
  }

  state(): SupervisorState {
    return this.child ? 'running' : 'backoff';
  }

  /** Starts a fake run: emits `spawn` with fresh stdout/stderr streams. */
  spawn(): RunningChild & { stdout: PassThrough; stderr: PassThrough } {
    const child = {
      pid: this.nextPid++,
      startTime: undefined,
      spawnedAt: this.clock.now(),
      stdout: new PassThrough(),
      stderr: new PassThrough(),
      marker: { name: 'BOT_WATCHDOG_TREE', value: 'test' },
    };
    this.child = child;
    this.events.emit('spawn', child);
    return child;
  }

  exit(): void {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    this.events.emit('exit', child, { code: null, signal: 'SIGTERM' }, this.clock.now() - child.spawnedAt);
  }
}
