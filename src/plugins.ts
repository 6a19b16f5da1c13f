import type { EventLog } from './log/events.js';
import type { WatchdogConfig } from './config/load-config.js';
import type { RunPlugins } from './commands/run.js';
import { createBackend } from './backend/create-backend.js';
import { systemClock } from './clock/clock.js';
import { TemporaryHandlePort } from './health/temporary-handle-port.js';
import { buildBotMonitors } from './monitors/bot-monitors.js';
import { StateWriter } from './state/state-writer.js';
import type { BackendGate, Monitor } from './supervisor/types.js';
import { packageVersion } from './version.js';

/**
 * The plug-ins the config asks for: the backend monitor (a gate for starts and a source of
 * backend-down restarts), the probes that watch the bot itself, and the state file writer.
 * Each lives in its own module; this is the one place that wires them.
 */
export async function buildPlugins(config: WatchdogConfig, logger: EventLog): Promise<RunPlugins> {
  const monitors: Monitor[] = [];
  // First, so that it sees every probe report of the monitors started after it.
  monitors.push(
    new StateWriter({ file: config.state.file, configFile: config.configFile, command: config.command, version: packageVersion(), logger }),
  );
  let gate: BackendGate | undefined;
  const backend = createBackend(config, { clock: systemClock });
  if (backend) {
    // TEMPORARY until the health sink lands: the backend's port over the supervisor handle
    // (listed before the backend monitor, so that it holds the handle when the backend starts).
    const port = new TemporaryHandlePort({
      logger,
      clock: systemClock,
      failureThreshold: (probe) => (probe === backend.pollProbe.name ? config.probes.backend.failureThreshold : 1),
    });
    const monitor = backend.monitor(port, logger);
    monitors.push(port, monitor);
    gate = monitor;
  }
  // The bot itself: heartbeat file, its link to the backend, output patterns and silence.
  monitors.push(...buildBotMonitors(config, logger));
  return { ...(gate ? { gate } : {}), monitors };
}
