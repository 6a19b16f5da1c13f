import type { Clock } from './clock/clock.js';
import type { WatchdogConfig } from './config/load-config.js';
import type { RunPlugins } from './commands/run.js';
import type { EventLog } from './log/events.js';
import { buildBotMonitors } from './monitors/bot-monitors.js';
import { createBackendMonitor } from './monitors/create-backend-monitor.js';
import { StateWriter } from './state/state-writer.js';
import type { Monitor } from './supervisor/types.js';
import { packageVersion } from './version.js';

/**
 * The plug-ins the config asks for: the backend monitor (a gate for starts and a source of
 * backend-down restarts), the probes that watch the bot itself, and the state file writer.
 * Each lives in its own module; this is the one place that wires them. They all report into the
 * health sink, which run.ts creates.
 */
export async function buildPlugins(config: WatchdogConfig, logger: EventLog, clock: Clock): Promise<RunPlugins> {
  const monitors: Monitor[] = [];
  // First, so that it sees every report of the monitors started after it.
  monitors.push(
    new StateWriter({ file: config.state.file, configFile: config.configFile, command: config.command, version: packageVersion(), logger }),
  );
  const backend = createBackendMonitor(config, logger);
  if (backend) monitors.push(backend);
  // NapCat dials the watchdog (onebot-reverse): reported, never a gate nor a reason to restart the bot.
  if (config.backend.kind === 'onebot-reverse') {
    const { createOneBotReverseMonitor } = await import('./backend/onebot-reverse/monitor.js');
    const napcat = createOneBotReverseMonitor(config, logger, clock);
    if (napcat) monitors.push(napcat);
  }
  // Planned restarts (reason `scheduled`).
  if (config.restart.schedule) {
    const { RestartScheduleMonitor } = await import('./supervisor/schedule.js');
    monitors.push(new RestartScheduleMonitor(config.restart.schedule, logger, clock));
  }
  // The bot itself: heartbeat file, its link to the backend, output patterns and silence.
  monitors.push(...buildBotMonitors(config, logger, clock));
  return { ...(backend ? { gate: backend } : {}), monitors };
}
