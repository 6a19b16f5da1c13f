import { sleepOn, type Clock } from '../clock/clock.js';
import type { EventLog } from '../log/events.js';
import { procAvailable } from '../process/proc-stat.js';
import { LinkProbe, LinkSampler } from '../probes/link/link-probe.js';
import { formatBotListen, type BotListenSpec } from '../net/listen-address.js';
import { stallConfirmMs } from '../probes/link/stall-tracker.js';
import { formatTarget, TargetMatcher, type LinkTarget, type MatcherOptions } from '../probes/link/target.js';
import { BotProbeRunner } from './bot-probe-runner.js';

export interface LinkRunnerOptions {
  /** Dialled links: where the bot connects to (may be empty when `listen` is set). */
  targets: LinkTarget[];
  /** The listened link: the port the bot listens on (probes.link.listen). */
  listen?: BotListenSpec | undefined;
  /** probes.link.stall in ms; 0 or absent = off. */
  stall?: number | undefined;
  grace: number;
  interval: number;
  logger: EventLog;
  clock: Clock;
  procRoot?: string;
  matcher?: MatcherOptions;
}

/**
 * probes.link: no ESTABLISHED connection from the bot's tree to the backend (or to the bot's
 * listened port, or no LISTEN socket there) seen by any sample within `grace` = link lost,
 * restarted with reason link-lost; unread bytes that never shrink for `stall` = link-stalled.
 * Linux only: without /proc the probe is off, with one probe.disabled warning.
 */
export function linkRunner(options: LinkRunnerOptions): BotProbeRunner<LinkProbe> {
  const { logger, targets, listen } = options;
  let matcher: TargetMatcher | undefined;
  return new BotProbeRunner({
    name: 'link',
    interval: options.interval,
    // A check may take a close look at a stalling link (stall-tracker.ts) before it answers.
    timeout: Math.max(3000, options.interval) + (options.stall ? stallConfirmMs(options.stall) : 0),
    clock: options.clock,
    setup: async () => {
      if (!procAvailable(options.procRoot)) {
        logger.emit('probe.disabled',
          { probe: 'link', detail: 'no /proc' },
          'link probe is off: it reads the bot\'s sockets from /proc, which this system does not have (Linux only)',
        );
        return false;
      }
      if (targets.length === 0 && !listen) {
        logger.emit('probe.disabled', { probe: 'link', detail: 'no target' }, 'link probe is off: no target (set probes.link.target or probes.link.listen)');
        return false;
      }
      if (targets.length > 0) matcher = await TargetMatcher.resolve(targets, options.matcher);
      logger.emit(
        'probe.link.target',
        {
          targets: targets.map((t) => ({ target: formatTarget(t), from: t.from })),
          addresses: matcher ? matcher.addresses() : {},
          ...(listen ? { listen: formatBotListen(listen) } : {}),
          ...(options.stall ? { stallMs: options.stall } : {}),
        },
        `link probe watches ${[matcher ? `connections to ${matcher.describe()}` : '', listen ? `the bot's listened port ${formatBotListen(listen)}` : ''].filter(Boolean).join(' and ')}`,
      );
      return true;
    },
    probeFor: (child) =>
      new LinkProbe({
        sampler: new LinkSampler({
          root: { pid: child.pid, startTime: child.startTime },
          marker: child.marker,
          procRoot: options.procRoot,
        }),
        matcher,
        listen,
        stall: options.stall,
        grace: options.grace,
        since: child.spawnedAt,
        now: () => options.clock.now(),
        sleep: (ms) => sleepOn(options.clock, ms),
      }),
    dueIn: (_result, probe) => probe.dueInMs(),
  });
}
