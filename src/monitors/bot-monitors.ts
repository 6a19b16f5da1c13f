import type { Clock } from '../clock/clock.js';
import type { EventLog } from '../log/events.js';
import type { WatchdogConfig } from '../config/load-config.js';
import { listenPorts } from '../probes/link/listen.js';
import { linkTargets } from '../probes/link/target.js';
import type { Monitor } from '../supervisor/types.js';
import { heartbeatMonitor } from './heartbeat-monitor.js';
import { linkMonitor } from './link-monitor.js';
import { OutputMonitor } from './output-monitor.js';

/**
 * The monitors that watch the bot itself (issue 4), each independent of the others and of the
 * backend: heartbeat file, the bot's own link to the backend, output patterns and silence.
 */
export function buildBotMonitors(config: WatchdogConfig, logger: EventLog, clock: Clock): Monitor[] {
  const monitors: Monitor[] = [];
  const { heartbeat, link, output } = config.probes;
  const startupGrace = config.startup.grace;
  if (heartbeat) {
    monitors.push(heartbeatMonitor({ file: heartbeat.file, maxAge: heartbeat.maxAge, interval: heartbeat.interval, startupGrace, clock }));
  }
  if (link?.enabled) {
    monitors.push(
      linkMonitor({
        targets: linkTargets(config),
        listen: listenPorts(config)[0],
        stall: link.stall,
        grace: link.grace,
        interval: link.interval,
        startupGrace,
        logger,
        clock,
      }),
    );
  }
  const outputMonitor = new OutputMonitor({ patterns: output.patterns, silence: output.silence, startupGrace, clock });
  if (outputMonitor.active) monitors.push(outputMonitor);
  return monitors;
}
