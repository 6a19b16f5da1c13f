import { performance } from 'node:perf_hooks';
import { humanDuration } from '../human-duration.js';
import { liveness } from '../state/identity.js';
import { readStateFile } from '../state/state-file.js';
import { result, type Probe, type ProbeResult } from './probe.js';

/**
 * `bot-process`: reads the state file of a watchdog and says whether that watchdog and its bot
 * are both alive. Each is named by pid, start time and boot, so a reused pid is not mistaken for
 * them. Used by `check` when the state file exists (`status` reads the same file).
 */
export class BotProcessProbe implements Probe {
  readonly name = 'bot-process';

  constructor(
    private readonly stateFile: string,
    private readonly now: () => number = Date.now,
  ) {}

  async check(): Promise<ProbeResult> {
    const started = performance.now();
    const name = this.name;
    const read = readStateFile(this.stateFile);
    if (read.status === 'missing') {
      return result(name, 'misconfigured', `no state file at ${this.stateFile} (is a watchdog running with this config?)`, started);
    }
    if (read.status === 'unreadable') {
      return result(name, 'misconfigured', `cannot read the state file ${this.stateFile}: ${read.reason}`, started);
    }
    const { state } = read;
    const watchdog = liveness(state.watchdog);
    const bot = state.bot ? liveness(state.bot) : undefined;
    const details: Record<string, unknown> = {
      stateFile: this.stateFile,
      state: state.state,
      watchdogPid: state.watchdog.pid,
      watchdogAlive: watchdog !== 'gone',
      botPid: state.bot?.pid ?? null,
      botAlive: bot === undefined ? false : bot !== 'gone',
      restarts: state.restarts,
      lastRestart: state.lastRestart,
    };
    const wd = `the watchdog (pid ${state.watchdog.pid})`;

    if (watchdog === 'gone') {
      if (state.bot && bot !== 'gone') {
        return result(name, 'unhealthy', `${wd} is not running; its bot (pid ${state.bot.pid}) is orphaned`, started, details);
      }
      const why = state.state === 'stopped' ? `exited (${this.ago(state.updatedAt)})` : 'is not running (killed?)';
      return result(name, 'unhealthy', `${wd} ${why}`, started, details);
    }
    if (!state.bot) {
      const last = state.lastRestart ? ` after ${state.lastRestart.reason}` : '';
      return result(name, 'unhealthy', `no bot is running: ${wd} is ${describePhase(state.state)}${last}`, started, details);
    }
    if (bot === 'gone') {
      return result(name, 'unhealthy', `the bot (pid ${state.bot.pid}) is gone; ${wd} is ${describePhase(state.state)}`, started, details);
    }
    const unverified = bot === 'unknown' || watchdog === 'unknown' ? ' (pid only: no /proc to check start times)' : '';
    return result(name, 'healthy', `bot pid ${state.bot.pid} up ${this.since(state.bot.startedAt)}, watchdog pid ${state.watchdog.pid}${unverified}`, started, details);
  }

  private since(iso: string): string {
    const at = Date.parse(iso);
    return Number.isFinite(at) ? humanDuration(Math.max(0, this.now() - at)) : 'for an unknown time';
  }

  private ago(iso: string): string {
    const at = Date.parse(iso);
    return Number.isFinite(at) ? `${humanDuration(Math.max(0, this.now() - at))} ago` : 'at an unknown time';
  }
}

function describePhase(phase: string): string {
  switch (phase) {
    case 'backoff':
      return 'waiting to restart it (backoff)';
    case 'waiting-backend':
      return 'waiting for the backend';
    case 'stopping':
      return 'stopping it';
    default:
      return phase;
  }
}
