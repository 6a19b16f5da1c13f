import type { Clock } from '../clock/clock.js';
import { HeartbeatFileProbe, type HeartbeatFileOptions } from '../probes/heartbeat-file.js';
import { BotProbeRunner } from './bot-probe-runner.js';

export interface HeartbeatRunnerOptions {
  file: string;
  maxAge: number;
  interval: number;
  clock: Clock;
  /** File system access, for tests. */
  stat?: HeartbeatFileOptions['stat'];
}

/**
 * probes.heartbeat: the bot's heartbeat file (or log file) must change within maxAge; older =
 * hung (the sink's rule restarts it with reason heartbeat-stale). Checked every `interval`, and again exactly when
 * the file would turn stale, so detection comes within maxAge plus one stat. Each run of the bot
 * has maxAge from its spawn: a file the last run left behind does not count against a new one
 * (a slow start past a short startup.grace is not a hang).
 */
export function heartbeatRunner(options: HeartbeatRunnerOptions): BotProbeRunner<HeartbeatFileProbe> {
  // One probe for every run: what it learnt about the file's versions (clock-step guards) stays valid.
  const probe = new HeartbeatFileProbe({
    file: options.file,
    maxAge: options.maxAge,
    now: () => options.clock.now(),
    wallNow: () => options.clock.wallNow(),
    stat: options.stat,
  });
  return new BotProbeRunner({
    name: 'heartbeat',
    interval: options.interval,
    // A stat that hangs (a dead network file system) is as bad as a stale file, but give it time.
    timeout: Math.max(2000, options.interval),
    clock: options.clock,
    probeFor: (child) => {
      probe.runStartedAt = child.spawnedAt;
      return probe;
    },
    dueIn: (result) => HeartbeatFileProbe.dueInMs(result.details),
  });
}
