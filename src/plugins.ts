import type { Clock } from './clock/clock.js';
import type { WatchdogConfig } from './config/load-config.js';
import type { RunPlugins } from './commands/run.js';
import { createBackend } from './backend/create-backend.js';
import type { HealthSink } from './health/health-sink.js';
import { DEFAULT_RULE } from './health/probe-rules.js';
import type { EventLog } from './log/events.js';
import { buildBotMonitors } from './monitors/bot-monitors.js';
import { StateWriter } from './state/state-writer.js';
import type { BackendGate, Monitor } from './supervisor/types.js';
import { packageVersion } from './version.js';
import { secretValues } from './config/secret-values.js';

/**
 * The plug-ins the config asks for: the backend (a gate for starts and a source of backend-down
 * restarts), the probes that watch the bot itself, and the state file writer. Each lives in its
 * own module; this is the one place that wires them. They all report into the health sink.
 */
export async function buildPlugins(config: WatchdogConfig, logger: EventLog, clock: Clock, health: HealthSink): Promise<RunPlugins> {
  const monitors: Monitor[] = [];
  // First, so that it sees every report of the monitors started after it.
  monitors.push(
    new StateWriter({
      file: config.state.file,
      configFile: config.configFile,
      command: config.command,
      version: packageVersion(),
      logger,
      secrets: secretValues(config),
    }),
  );
  if (config.status.listen !== undefined) monitors.push((await import('./status/status-monitor.js')).createStatusMonitor(config, logger, monitors));
  let gate: BackendGate | undefined;
  const backend = createBackend(config, { clock });
  if (backend) {
    // The poll fails after probes.backend.failureThreshold unhealthy checks in a row; the link at once.
    health.setRule(backend.pollProbe.name, { ...DEFAULT_RULE, threshold: config.probes.backend.failureThreshold });
    const monitor = backend.monitor(health.backendPort(), logger);
    monitors.push(monitor);
    gate = monitor;
  }
  // backend.restart for the polled and linked backends (onebot-reverse feeds its own below).
  if (config.backend.restart && config.backend.kind !== 'onebot-reverse') {
    const { createBackendRestartMonitor } = await import('./backend/backend-restart-monitor.js');
    const restarter = createBackendRestartMonitor(config, logger, clock);
    if (restarter) monitors.push(restarter);
  }
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
  return { ...(gate ? { gate } : {}), monitors };
}
