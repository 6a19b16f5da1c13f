import type { Logger } from 'pino';
import type { WatchdogConfig } from './config/load-config.js';
import type { RunPlugins } from './commands/run.js';
import { buildBotMonitors } from './monitors/bot-monitors.js';
import { createBackendMonitor } from './monitors/create-backend-monitor.js';
import { StateWriter } from './state/state-writer.js';
import type { Monitor } from './supervisor/types.js';
import { packageVersion } from './version.js';

/**
 * The plug-ins the config asks for: the backend monitor (a gate for starts and a source of
 * backend-down restarts), the probes that watch the bot itself, and the state file writer.
 * Each lives in its own module; this is the one place that wires them.
 */
export async function buildPlugins(config: WatchdogConfig, logger: Logger): Promise<RunPlugins> {
  const monitors: Monitor[] = [];
  // First, so that it sees every probe report of the monitors started after it.
  monitors.push(
    new StateWriter({ file: config.state.file, configFile: config.configFile, command: config.command, version: packageVersion(), logger }),
  );
  if (config.status.listen !== undefined) monitors.push((await import('./status/status-monitor.js')).createStatusMonitor(config, logger, monitors));
  const backend = createBackendMonitor(config, logger);
  if (backend) monitors.push(backend);
  // The bot itself: heartbeat file, its link to the backend, output patterns and silence.
  monitors.push(...buildBotMonitors(config, logger));
  return { ...(backend ? { gate: backend } : {}), monitors };
}
