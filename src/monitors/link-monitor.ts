import type { Clock } from '../clock/clock.js';
import type { EventLog } from '../log/events.js';
import { procAvailable } from '../process/proc-stat.js';
import { LinkProbe, LinkSampler } from '../probes/link/link-probe.js';
import { formatTarget, TargetMatcher, type LinkTarget, type MatcherOptions } from '../probes/link/target.js';
import { BotProbeMonitor } from './bot-probe-monitor.js';

export interface LinkMonitorOptions {
  targets: LinkTarget[];
  grace: number;
  interval: number;
  startupGrace: number;
  logger: EventLog;
  clock: Clock;
  procRoot?: string;
  matcher?: MatcherOptions;
}

/**
 * probes.link: no ESTABLISHED connection from the bot's tree to the backend seen by any sample
 * within `grace` = link lost, restarted with reason link-lost. Linux only: without /proc the probe
 * is off, with one probe.disabled warning.
 */
export function linkMonitor(options: LinkMonitorOptions): BotProbeMonitor<LinkProbe> {
  const { logger, targets } = options;
  let matcher: TargetMatcher | undefined;
  return new BotProbeMonitor({
    name: 'link',
    reason: 'link-lost',
    interval: options.interval,
    timeout: Math.max(3000, options.interval),
    startupGrace: options.startupGrace,
    clock: options.clock,
    setup: async () => {
      if (!procAvailable(options.procRoot)) {
        logger.emit('probe.disabled',
          { probe: 'link', detail: 'no /proc' },
          'link probe is off: it reads the bot\'s sockets from /proc, which this system does not have (Linux only)',
        );
        return false;
      }
      if (targets.length === 0) {
        logger.emit('probe.disabled',{ probe: 'link', detail: 'no target' }, 'link probe is off: no target (set probes.link.target)');
        return false;
      }
      matcher = await TargetMatcher.resolve(targets, options.matcher);
      logger.emit('probe.link.target',
        { targets: targets.map((t) => ({ target: formatTarget(t), from: t.from })), addresses: matcher.addresses() },
        `link probe watches connections to ${matcher.describe()}`,
      );
      return true;
    },
    probeFor: (child) =>
      new LinkProbe({
        sampler: new LinkSampler({
          root: { pid: child.pid, ...(child.startTime === undefined ? {} : { startTime: child.startTime }) },
          marker: child.marker,
          ...(options.procRoot ? { procRoot: options.procRoot } : {}),
        }),
        matcher: matcher as TargetMatcher,
        grace: options.grace,
        since: child.spawnedAt,
        now: () => options.clock.now(),
      }),
    dueIn: (_result, probe) => probe.dueInMs(),
  });
}
