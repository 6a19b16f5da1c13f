// A SupervisorHandle for monitor unit tests: the test emits spawn/exit and reads what the monitor asked for.
import { PassThrough } from 'node:stream';
import type { RestartReason } from '../../src/supervisor/restart-reasons.js';
import { SupervisorEvents } from '../../src/supervisor/supervisor-events.js';
import type { ProbeReport, RunningChild, SupervisorHandle, SupervisorState } from '../../src/supervisor/types.js';

export class FakeHandle implements SupervisorHandle {
  readonly events = new SupervisorEvents();
  readonly restarts: { reason: RestartReason; evidence: Record<string, unknown> | undefined; at: number }[] = [];
  readonly reports: ProbeReport[] = [];
  private child: RunningChild | undefined;
  private nextPid = 1000;

  constructor(private readonly now: () => number = Date.now) {}

  requestRestart(reason: RestartReason, evidence?: Record<string, unknown>): boolean {
    if (!this.child) return false;
    this.restarts.push({ reason, evidence, at: this.now() });
    return true;
  }

  current(): RunningChild | undefined {
    return this.child;
  }

  reportProbe(report: ProbeReport): void {
    this.reports.push(report);
  }

  state(): SupervisorState {
    return this.child ? 'running' : 'backoff';
  }

  /** Starts a fake run: emits `spawn` with fresh stdout/stderr streams. */
  spawn(): RunningChild & { stdout: PassThrough; stderr: PassThrough } {
    const child = {
      pid: this.nextPid++,
      startTime: undefined,
      spawnedAt: this.now(),
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
    this.events.emit('exit', child, { code: null, signal: 'SIGTERM' }, this.now() - child.spawnedAt);
  }
}
