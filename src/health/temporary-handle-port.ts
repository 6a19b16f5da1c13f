// TEMPORARY — until the health sink (issue 8, item 1) lands and takes over the backend's results.
// Delete this file then, and wire the sink's BackendHealthPort in src/plugins.ts instead.
import type { Clock } from '../clock/clock.js';
import type { EventLog } from '../log/events.js';
import type { RestartReason } from '../supervisor/restart-reasons.js';
import type { Monitor, SupervisorHandle } from '../supervisor/types.js';
import type { BackendHealthPort, HealthResult } from './types.js';

export interface TemporaryHandlePortOptions {
  logger: EventLog;
  clock: Clock;
  /** Unhealthy results in a row before `probe.failed`: probes.backend.failureThreshold for the poll, 1 for the link. */
  failureThreshold: (probe: string) => number;
}

interface Track {
  unhealthy: number;
  failed: boolean;
  misconfigured: string | undefined;
}

/**
 * The backend's health port over the existing SupervisorHandle: results go to
 * `handle.reportProbe`, restarts to `handle.requestRestart`, the spawn time is the running bot's.
 * Since the backend no longer logs `probe.failed` / `probe.recovered` / `probe.misconfigured`
 * itself, this logs those transitions from the results, as the sink will: `probe.failed` after
 * `failureThreshold(probe)` unhealthy results in a row, `probe.recovered` on the first healthy
 * one after that, `probe.misconfigured` once per distinct reason. `unknown` counts for nothing.
 *
 * A monitor only to get the handle: list it before the backend monitor.
 */
export class TemporaryHandlePort implements BackendHealthPort, Monitor {
  readonly name = 'backend-health-port';
  private handle: SupervisorHandle | undefined;
  private readonly tracks = new Map<string, Track>();

  constructor(private readonly options: TemporaryHandlePortOptions) {}

  start(handle: SupervisorHandle): void {
    this.handle = handle;
  }

  stop(): void {
    this.handle = undefined;
  }

  report(result: HealthResult): void {
    const verdict = result.verdict === 'starting' ? 'unknown' : result.verdict;
    this.handle?.reportProbe({ probe: result.probe, verdict, reason: result.reason, latencyMs: result.latencyMs, at: this.options.clock.wallNow() });
    this.transition(result);
  }

  restart(reason: Extract<RestartReason, 'backend-down' | 'account-relogin'>, evidence: Record<string, unknown>): boolean {
    return this.handle?.requestRestart(reason, evidence) ?? false;
  }

  botSpawnedAt(): number | undefined {
    return this.handle?.current()?.spawnedAt;
  }

  private transition(result: HealthResult): void {
    const { logger } = this.options;
    const track = this.tracks.get(result.probe) ?? { unhealthy: 0, failed: false, misconfigured: undefined };
    this.tracks.set(result.probe, track);
    const fields = { ...(result.evidence ?? {}), probe: result.probe, reason: result.reason, latencyMs: result.latencyMs };
    switch (result.verdict) {
      case 'unknown':
      case 'starting':
        return;
      case 'misconfigured':
        if (track.misconfigured !== result.reason) {
          track.misconfigured = result.reason;
          logger.emit('probe.misconfigured', fields, `${result.probe}: ${result.reason} (check the config; not a reason to restart)`);
        }
        return;
      case 'healthy':
        track.misconfigured = undefined;
        track.unhealthy = 0;
        if (track.failed) {
          track.failed = false;
          logger.emit('probe.recovered', fields, `${result.probe}: healthy again`);
        }
        return;
      case 'unhealthy':
        track.misconfigured = undefined;
        track.unhealthy += 1;
        if (!track.failed && track.unhealthy >= this.options.failureThreshold(result.probe)) {
          track.failed = true;
          logger.emit('probe.failed', { ...fields, failures: track.unhealthy }, `${result.probe}: ${result.reason}`);
        }
        return;
    }
  }
}
