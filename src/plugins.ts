import type { Clock } from './clock/clock.js';
import type { WatchdogConfig } from './config/load-config.js';
import type { RunPlugins } from './commands/run.js';
import { createBackend } from './backend/create-backend.js';
import { backendRuleOf } from './backend/policy.js';
import type { HealthSink } from './health/health-sink.js';
import { DEFAULT_RULE } from './health/probe-rules.js';
import type { EventLog } from './log/events.js';
import { botProbeRules, buildBotMonitors } from './monitors/bot-monitors.js';
import { StateWriter } from './state/state-writer.js';
import type { BackendGate, Monitor } from './supervisor/types.js';
import { packageVersion } from './version.js';
import { secretValues } from './config/secret-values.js';

/**
 * The plug-ins the config asks for: the backend (a gate for starts when its policy says so, and a
 * source of facts), the probes that watch the bot itself, and the state file writer. Each lives in
 * its own module; this is the one place that wires them and sets the health sink's rules: every
 * threshold, grace and restart reason is decided here, from the config, and applied by the sink.
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
      clock,
      secrets: secretValues(config),
    }),
  );
  if (config.status.listen !== undefined) monitors.push((await import('./status/status-monitor.js')).createStatusMonitor(config, logger, clock, monitors));
  let gate: BackendGate | undefined;
  const backend = createBackend(config, { clock });
  if (backend) {
    // The poll fails after probes.backend.failureThreshold unhealthy checks in a row; the link at once.
    if (backend.pollProbe) health.setRule(backend.pollProbe.name, { ...DEFAULT_RULE, threshold: config.probes.backend.failureThreshold });
    // Whether the backend's outages, blips and relogins restart the bot: the kind's policy.
    health.setBackendRule(backendRuleOf(backend.policy));
    const monitor = backend.monitor(health.port(), logger);
    monitors.push(monitor);
    if (backend.policy.gatesStart) gate = monitor;
  }
  // backend.restart, for every kind, fed by the backend's facts through the sink.
  if (config.backend.restart) {
    const { createBackendRestartMonitor } = await import('./backend/backend-restart-monitor.js');
    const restarter = createBackendRestartMonitor(config, logger, clock);
    if (restarter) monitors.push(restarter);
  }
  // Planned restarts (reason `scheduled`).
  if (config.restart.schedule) {
    const { RestartScheduleMonitor } = await import('./supervisor/schedule.js');
    monitors.push(new RestartScheduleMonitor(config.restart.schedule, logger, clock));
  }
  // The bot itself: heartbeat file, its link to the backend, output patterns and silence.
  for (const [probe, rule] of Object.entries(botProbeRules(config))) health.setRule(probe, rule);
  monitors.push(...buildBotMonitors(config, logger, clock));
  return { ...(gate ? { gate } : {}), monitors };
}
