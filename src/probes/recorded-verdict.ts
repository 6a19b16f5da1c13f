import { performance } from 'node:perf_hooks';
import { humanDuration } from '../human-duration.js';
import { liveness } from '../state/identity.js';
import { readStateFile } from '../state/state-file.js';
import { result, type Probe, type ProbeResult } from './probe.js';

/** The running watchdog rewrites its state file at least this often (state-writer.ts). */
export const STATE_REFRESH_MS = 10_000;
/** A state file older than this says nothing about now. */
export const STATE_STALE_MS = 3 * STATE_REFRESH_MS;

/**
 * A probe that `check` cannot run once by itself — the bot's link (it needs the running bot's
 * process tree), the reverse-WebSocket backend (NapCat dials the running watchdog) — reported as
 * the running watchdog last recorded it in its state file, with its age. No running watchdog, or
 * a state file older than STATE_STALE_MS: the verdict is unknown (check exits 3, cannot check).
 */
export class RecordedVerdictProbe implements Probe {
  constructor(
    readonly name: string,
    private readonly stateFile: string,
    private readonly now: () => number = Date.now,
  ) {}

  async check(): Promise<ProbeResult> {
    const started = performance.now();
    const unknown = (why: string, details: Record<string, unknown> = {}) =>
      result(this.name, 'misconfigured', `unknown: ${why}`, started, { stateFile: this.stateFile, ...details });
    const read = readStateFile(this.stateFile);
    if (read.status !== 'ok') {
      return unknown(read.status === 'missing' ? 'no running watchdog recorded it (no state file)' : `the state file is unreadable: ${read.reason}`);
    }
    const { state } = read;
    if (state.state === 'stopped' || liveness(state.watchdog) === 'gone') return unknown(`the watchdog (pid ${state.watchdog.pid}) is not running`);
    const ageMs = this.now() - Date.parse(state.updatedAt);
    if (!Number.isFinite(ageMs) || ageMs > STATE_STALE_MS) {
      return unknown(`the state file is ${Number.isFinite(ageMs) ? humanDuration(ageMs) : 'of an unknown age'} old (stale)`);
    }
    const recorded = state.probes[this.name];
    if (!recorded) return unknown('the watchdog has not recorded it yet', { ageMs });
    const recordedAgeMs = Math.max(0, this.now() - Date.parse(recorded.at));
    const details = { recordedAt: recorded.at, recordedAgeMs, since: recorded.since, watchdogPid: state.watchdog.pid };
    const reason = `${recorded.reason ?? recorded.verdict} (recorded by the watchdog ${humanDuration(recordedAgeMs)} ago)`;
    switch (recorded.verdict) {
      case 'healthy':
      case 'unhealthy':
      case 'misconfigured':
        return result(this.name, recorded.verdict, reason, started, details);
      default:
        // starting, unknown: nothing to judge yet.
        return unknown(reason, details);
    }
  }
}
