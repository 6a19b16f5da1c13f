import type { Clock, TimerHandle } from '../clock/clock.js';
import type { EventLog } from '../log/events.js';
import type { HealthUpdate } from '../health/health-sink.js';
import type { ChildExit, Plugin, RunningChild, SupervisorHandle, SupervisorState, TreeMarker } from '../supervisor/types.js';
import { STATE_REFRESH_MS } from '../probes/recorded-verdict.js';
import { createTextRedactor } from '../log/redact.js';
import { bootId, identityOf } from './identity.js';
import { writeStateFile, type ProbeRecord, type StateFile, type WatchdogPhase } from './state-file.js';

export interface StateWriterOptions {
  file: string;
  configFile: string | undefined;
  /** The bot's command line, recorded for `status`. */
  command: string[];
  /** Version of bot-watchdog, recorded for `status`. */
  version: string;
  logger: EventLog;
  /** The watchdog's clock: wall-clock times in the file, and the refresh timer. */
  clock: Clock;
  /**
   * Secret values (verifyKey, tokens) scrubbed, as in the logs, from the texts stored: probe
   * reasons (a backend may echo the key in an error), the restart reason, the command line.
   * Credential-looking URL parts are scrubbed even without them.
   */
  secrets?: readonly (string | undefined)[];
  /** Writes the state (default: the file, atomically). The status endpoint keeps its copy in memory. */
  persist?: (file: string, state: StateFile) => void;
}

/**
 * The plug-in that keeps the state file current: it writes on every transition of the
 * supervisor (state, spawn, exit, restart) and whenever a probe's verdict changes, and a last
 * time ("stopped") when the watchdog exits. The bot's pid, start time and tree marker are in it
 * from the moment it is spawned, so the next `run` can find the bot if this watchdog is killed.
 */
export class StateWriter implements Plugin {
  readonly name = 'state-file';
  private handle: SupervisorHandle | undefined;
  private phase: WatchdogPhase = 'starting';
  private bot: StateFile['bot'] = null;
  private spawning: StateFile['spawning'] = null;
  private restarts = 0;
  private lastRestart: StateFile['lastRestart'] = null;
  private lastExit: StateFile['lastExit'] = null;
  private readonly probes: Record<string, ProbeRecord> = {};
  private readonly watchdog: StateFile['watchdog'];
  private readonly now: () => number;
  private failing = false;
  private refresh: TimerHandle | undefined;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly scrub: (text: string) => string;

  constructor(private readonly options: StateWriterOptions) {
    this.now = () => options.clock.wallNow();
    this.scrub = createTextRedactor(options.secrets ?? []);
    this.watchdog = {
      ...identityOf(process.pid),
      startedAt: new Date(this.now() - Math.round(process.uptime() * 1000)).toISOString(),
      version: options.version,
      configFile: options.configFile ?? null,
    };
  }

  start(handle: SupervisorHandle): void {
    this.handle = handle;
    const { events } = handle;
    this.unsubscribe.push(
      events.subscribe('state', (state) => this.onState(state)),
      events.subscribe('prespawn', (marker) => this.onPrespawn(marker)),
      events.subscribe('spawn', (child) => this.onSpawn(child)),
      events.subscribe('exit', (child, exit, uptimeMs) => this.onExit(child, exit, uptimeMs)),
      events.subscribe('restart', (info) => this.onRestart(info.reason)),
      handle.health.subscribe((update) => this.onProbe(update)),
    );
    this.phase = handle.state();
    this.write();
    this.scheduleRefresh();
  }

  stop(): void {
    this.options.clock.clearTimeout(this.refresh);
    this.refresh = undefined;
    for (const off of this.unsubscribe.splice(0)) off();
    this.phase = 'stopped';
    this.bot = null;
    this.write();
  }

  /** Rewritten at least every STATE_REFRESH_MS, so that `check` can tell a live record from a stale one. */
  private scheduleRefresh(): void {
    const refresh = () => {
      this.write();
      this.scheduleRefresh();
    };
    this.refresh = this.options.clock.setTimeout(refresh, STATE_REFRESH_MS, { unref: true });
  }

  /** The state as it would be written now. */
  snapshot(): StateFile {
    return {
      version: 1,
      updatedAt: new Date(this.now()).toISOString(),
      watchdog: this.watchdog,
      state: this.phase,
      bot: this.bot,
      ...(this.spawning ? { spawning: this.spawning } : {}),
      restarts: this.restarts,
      lastRestart: this.lastRestart,
      lastExit: this.lastExit,
      probes: this.probes,
    };
  }

  private onState(state: SupervisorState): void {
    this.phase = state;
    // "running" is emitted just before "spawn": record the bot already, in the same write.
    const child = this.handle?.current();
    if (state === 'running' && child && this.bot?.pid !== child.pid) {
      this.bot = this.botRecord(child);
      this.spawning = null;
    }
    this.write();
  }

  private onPrespawn(marker: TreeMarker): void {
    this.spawning = { marker: { name: marker.name, value: marker.value }, at: this.iso() };
    this.write();
  }

  private onSpawn(child: RunningChild): void {
    if (this.bot?.pid === child.pid && !this.spawning) return;
    this.spawning = null;
    this.bot = this.botRecord(child);
    this.write();
  }

  private onExit(child: RunningChild, exit: ChildExit, uptimeMs: number): void {
    this.bot = null;
    this.lastExit = { pid: child.pid, code: exit.code, signal: exit.signal, uptimeMs: Math.max(0, Math.round(uptimeMs)), at: this.iso() };
    this.write();
  }

  private onRestart(reason: string): void {
    this.restarts += 1;
    this.lastRestart = { reason: this.scrub(reason), at: this.iso() };
    this.write();
  }

  private onProbe(update: HealthUpdate): void {
    if (update.kind !== 'probe') return;
    const report = update.result;
    const previous = this.probes[report.probe];
    const at = this.iso();
    const changed = previous?.verdict !== report.verdict;
    this.probes[report.probe] = {
      verdict: report.verdict,
      ...(report.reason === undefined ? {} : { reason: this.scrub(report.reason) }),
      ...(report.latencyMs === undefined ? {} : { latencyMs: Math.max(0, Math.round(report.latencyMs)) }),
      at,
      since: changed || !previous ? at : previous.since,
    };
    // A verdict that holds is not a transition: it is written with the next one.
    if (changed) this.write();
  }

  private botRecord(child: RunningChild): NonNullable<StateFile['bot']> {
    const boot = bootId();
    return {
      pid: child.pid,
      ...(child.startTime === undefined ? {} : { startTime: child.startTime }),
      ...(boot === undefined ? {} : { bootId: boot }),
      startedAt: this.iso(),
      marker: { name: child.marker.name, value: child.marker.value },
      command: this.options.command.map(this.scrub),
    };
  }

  private iso(): string {
    return new Date(this.now()).toISOString();
  }

  private write(): void {
    try {
      (this.options.persist ?? writeStateFile)(this.options.file, this.snapshot());
      if (this.failing) {
        this.failing = false;
        this.options.logger.emit('state.written',{ file: this.options.file }, 'the state file is written again');
      }
    } catch (error) {
      // Supervision goes on without a state file; say so once, not on every transition.
      if (!this.failing) {
        this.failing = true;
        this.options.logger.emit('state.error',
          { file: this.options.file, error: (error as Error).message },
          `cannot write the state file: ${(error as Error).message}`,
        );
      }
    }
  }
}
