import type { EventLog } from '../log/events.js';
import { spawnChild } from '../child/spawn-child.js';
import { relayOutput } from '../child/output-relay.js';
import type { WatchdogConfig } from '../config/load-config.js';
import { EXIT } from '../exit-codes.js';
import { killTree, newTreeMarker } from '../process/kill-tree.js';
import { killTreeNow } from '../process/kill-tree-now.js';
import { processStartTime } from '../process/proc-stat.js';
import { claimInstance } from '../state/claim-instance.js';
import { systemClock, type Clock } from '../clock/clock.js';
import { HealthSink } from '../health/health-sink.js';
import { listenPorts } from '../probes/link/listen.js';
import { waitForFreePorts } from '../process/port-holders.js';
import { Supervisor } from '../supervisor/supervisor.js';
import type { Plugin, BackendGate } from '../supervisor/types.js';
import { installSignalPolicy } from './signal-policy.js';


export interface RunPlugins {
  gate?: BackendGate;
  plugins: Plugin[];
}

/** Builds the plug-ins a config asks for (backend watcher, bot probes, state file). */
export type PluginFactory = (config: WatchdogConfig, logger: EventLog, clock: Clock, health: HealthSink) => Promise<RunPlugins> | RunPlugins;

/** `bot-watchdog run`: supervise the bot until a signal, the policy or the limit ends it. Resolves with the exit code. */
export async function runCommand(config: WatchdogConfig, logger: EventLog, buildPlugins: PluginFactory, version: string): Promise<number> {
  if (process.pid === 1) {
    logger.emit('watchdog.pid1',
      { pid: process.pid },
      'running as PID 1: signals work, but Node cannot reap re-parented orphans (zombies); run under tini or `docker run --init`',
    );
  }
  // The bot's output may go to a closed pipe; that must not bring the watchdog down.
  process.stdout.on('error', () => {});
  process.stderr.on('error', () => {});

  logger.emit('watchdog.start',
    { pid: process.pid, version, config: config.configFile ?? null, command: config.command },
    'bot-watchdog started',
  );
  // Never two bots on one account: no second watchdog on this state file, no orphan of a killed one.
  const claim = await claimInstance({ stateFile: config.state.file, stop: config.stop }, logger, systemClock);
  if (!claim.ok) {
    logger.emit('watchdog.exit', { code: claim.exitCode }, `exiting with code ${claim.exitCode}`);
    return claim.exitCode;
  }
  try {
    return await supervise(config, logger, buildPlugins);
  } finally {
    claim.lock.release();
  }
}

async function supervise(config: WatchdogConfig, logger: EventLog, buildPlugins: PluginFactory): Promise<number> {
  const clock = systemClock;
  const platform = process.platform;
  // Every probe result flows through it; it alone asks the supervisor for restarts.
  const health = new HealthSink({ log: logger, clock, startupGrace: config.startup.grace });
  const { gate, plugins } = await buildPlugins(config, logger, clock, health);
  // No EADDRINUSE crash loop: a start waits (up to stop.timeout) until nothing listens on the bot's port.
  const ports = listenPorts(config);
  const beforeSpawn =
    ports.length > 0
      ? (signal: AbortSignal) =>
          waitForFreePorts(ports, config.stop.timeout, { log: logger, now: () => clock.now(), sleep: (ms) => clock.sleep(ms, signal), signal })
      : undefined;
  const supervisor = new Supervisor(
    {
      command: config.command,
      cwd: config.cwd,
      env: config.env,
      restart: config.restart,
      stop: config.stop,
      startup: config.startup,
    },
    {
      spawn: (spec) => {
        const child = spawnChild(spec, platform);
        relayOutput(child.stdout, process.stdout);
        relayOutput(child.stderr, process.stderr);
        return child;
      },
      killTree: (root, request) => killTree(root, { ...request, deps: { now: () => clock.now(), sleep: (ms) => clock.sleep(ms), platform } }),
      clock,
      logger,
      health,
      beforeSpawn,
      newMarker: newTreeMarker,
      startTimeOf: processStartTime,
      plugins,
      gate,
    },
  );

  // Every signal has a decided behaviour (signal-policy.ts): none opens the inspector or ends the
  // watchdog while its bot runs on.
  const removeSignalPolicy = installSignalPolicy(
    process,
    {
      stop: (signal) => supervisor.shutdown(signal),
      restart: () => supervisor.hangup(),
      ignored: (signal, count) =>
        logger.emit('watchdog.signal', { signal, action: 'ignored', count }, `received ${signal}: ignored (bot-watchdog acts on SIGTERM, SIGINT, SIGQUIT and SIGHUP)`),
    },
    () => clock.now(),
  );
  // A bug in the watchdog must not leave the bot running unsupervised: take its tree down too.
  const onFatal = (error: unknown) => {
    const child = supervisor.current();
    const pids = child ? killTreeNow(child, child.marker, platform) : [];
    logger.emit('watchdog.crash',{ err: error, killed: pids }, 'internal error: the bot tree was killed');
    process.exit(EXIT.INTERNAL);
  };
  process.on('uncaughtException', onFatal);
  process.on('unhandledRejection', onFatal);
  try {
    return await supervisor.run();
  } catch (error) {
    logger.emit('watchdog.error',{ err: error }, 'internal error');
    return EXIT.INTERNAL;
  } finally {
    removeSignalPolicy();
    process.off('uncaughtException', onFatal);
    process.off('unhandledRejection', onFatal);
  }
}
