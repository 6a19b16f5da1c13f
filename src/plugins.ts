import type { Clock } from './clock/clock.js';
import type { WatchdogConfig } from './config/load-config.js';
import type { RunPlugins } from './commands/run.js';
import { createBackend } from './backend/create-backend.js';
import { backendRuleOf } from './backend/policy.js';
import type { HealthSink } from './health/health-sink.js';
import { DEFAULT_RULE } from './health/probe-rules.js';
import type { EventLog } from './log/events.js';
import { botProbeRules, buildBotProbes } from './bot-probes/build-bot-probes.js';
import { StateWriter } from './state/state-writer.js';
import type { BackendGate, Plugin } from './supervisor/types.js';
import { packageVersion } from './version.js';
import { secretValues } from './config/secret-values.js';

/**
 * The plug-ins the config asks for: the backend (a gate for starts when its policy says so, and a
 * source of facts), the probes that watch the bot itself, and the state file writer. Each lives in
 * its own module; this is the one place that wires them and sets the health sink's rules: every
 * threshold, grace and restart reason is decided here, from the config, and applied by the sink.
 */
export async function buildPlugins(config: WatchdogConfig, logger: EventLog, clock: Clock, health: HealthSink): Promise<RunPlugins> {
  const plugins: Plugin[] = [];
  // First, so that it sees every report of the plug-ins started after it.
  plugins.push(
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
  if (config.status.listen !== undefined) plugins.push((await import('./status/status-endpoint.js')).createStatusEndpoint(config, logger, clock, plugins));
  let gate: BackendGate | undefined;
  const backend = createBackend(config, { clock });
  if (backend) {
    // The poll fails after probes.backend.failureThreshold unhealthy checks in a row; the link at once.
    if (backend.pollProbe) health.setRule(backend.pollProbe.name, { ...DEFAULT_RULE, threshold: config.probes.backend.failureThreshold });
    // Whether the backend's outages, blips and relogins restart the bot: the kind's policy.
    health.setBackendRule(backendRuleOf(backend.policy));
    const watcher = backend.watcher(health.port(), logger);
    plugins.push(watcher);
    if (backend.policy.gatesStart) gate = watcher;
  }
  // backend.restart, for every kind, fed by the backend's facts through the sink.
  if (config.backend.restart) {
    const { createBackendRestart } = await import('./backend/backend-restart.js');
    const restarter = createBackendRestart(config, logger, clock);
    if (restarter) plugins.push(restarter);
  }
  // Planned restarts (reason `scheduled`).
  if (config.restart.schedule) {
    const { ScheduledRestarts } = await import('./supervisor/schedule.js');
    plugins.push(new ScheduledRestarts(config.restart.schedule, logger, clock));
  }
  // The bot itself: heartbeat file, its link to the backend, output patterns and silence.
  for (const [probe, rule] of Object.entries(botProbeRules(config))) health.setRule(probe, rule);
  plugins.push(...buildBotProbes(config, logger, clock));
  return { gate, plugins };
}
