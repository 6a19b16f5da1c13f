// The link probe: the bot's own connections, seen from /proc (link-sampler.ts). A dialled link
// (the bot connects to the backend: probes.link.target), a listened link (the backend connects to
// the bot: probes.link.listen, NapCat's reverse WebSocket), the listening socket itself, and bytes
// the bot stopped reading (probes.link.stall).
import { performance } from 'node:perf_hooks';
import type { RestartReason } from '../../supervisor/restart-reasons.js';
import { seconds } from '../../human-duration.js';
import { formatBotListen, formatHostPort, type BotListenSpec } from '../../net/listen-address.js';
import { result, type ProbeResult, type Probe } from '../probe.js';
import { type LinkQuery, type LinkSample, type LinkSampler, type TreeConnection, type TreeListener } from './link-sampler.js';
import { isListenedConnection, isServingListener } from './listen.js';
import { StallTracker, type Stall } from './stall-tracker.js';
import type { TargetMatcher } from './target.js';

export { LinkSampler, type LinkQuery, type LinkSample, type LinkSamplerOptions, type TreeConnection, type TreeListener } from './link-sampler.js';

export interface LinkProbeOptions {
  sampler: Pick<LinkSampler, 'sample'>;
  /** The dialled link: which remote addresses are the backend (probes.link.target, backend.url). */
  matcher?: TargetMatcher | undefined;
  /** The listened link: the port the bot listens on (probes.link.listen). */
  listen?: BotListenSpec | undefined;
  /** Unread bytes on a link, never shrinking, for longer than this = stalled (0 or absent: off). */
  stall?: number | undefined;
  /** No link (or no listener) seen for this long = link lost. */
  grace: number;
  /** Monotonic time the window starts at (the bot's spawn): before any sample saw the link, it counts from here. */
  since: number;
  /** Monotonic milliseconds (the supervisor's clock). */
  now: () => number;
  /** Wall-clock milliseconds, for the lastSeenAt evidence. */
  wallNow?: () => number;
  /** Names are looked up again on a miss at most this often. Default 10 s. */
  refreshEvery?: number;
  /** The close look before a stall is declared (see stall-tracker.ts). Default 2 s, at most stall / 2. */
  stallConfirm?: number;
  /** Time between the samples of the close look. Default 20 ms. */
  closeLookStep?: number;
  /** Waits (the close look); default a timer. */
  sleep?: (ms: number) => Promise<void>;
}

/** When a sample last saw one of the things the probe watches. */
interface Seen {
  at: number | undefined;
  wall: number | undefined;
}

/**
 * The restart reason of an unhealthy link result (a probe's, with `details`, or the health sink's,
 * with `evidence`): `link-stalled` for a bot that stopped reading, else `link-lost`.
 */
export function linkRestartReason(result: { details?: Record<string, unknown>; evidence?: Record<string, unknown> }): RestartReason {
  const evidence = result.evidence ?? result.details;
  return evidence?.['stalledForMs'] === undefined ? 'link-lost' : 'link-stalled';
}

/**
 * "link": healthy while some sample within the last `grace` saw each link it watches: an
 * ESTABLISHED connection from the bot's tree to the backend (dialled), one accepted on the bot's
 * listened port, and the LISTEN socket of that port. So a bot that polls over short HTTP
 * connections can be watched with a grace longer than its polling period, without flapping. With
 * `stall`, a link whose unread bytes never shrink for longer than that fails too. Stateful: one
 * instance per run.
 */
export class LinkProbe implements Probe {
  readonly name = 'link';
  private readonly dialledSeen: Seen = { at: undefined, wall: undefined };
  private readonly listenedSeen: Seen = { at: undefined, wall: undefined };
  private readonly listenerSeen: Seen = { at: undefined, wall: undefined };
  private lastRefresh: number;
  private readonly now: () => number;
  private readonly wallNow: () => number;
  private readonly stall: StallTracker | undefined;

  constructor(private readonly options: LinkProbeOptions) {
    this.now = options.now;
    this.wallNow = options.wallNow ?? Date.now;
    this.lastRefresh = this.now();
    this.stall = options.stall ? new StallTracker(options.stall, options.stallConfirm) : undefined;
  }

  /** Milliseconds until the verdict would turn unhealthy if no sample sees the link (≤ 0: already). */
  dueInMs(): number {
    const { grace, since, matcher, listen } = this.options;
    const now = this.now();
    const dues: number[] = [];
    if (matcher) dues.push((this.dialledSeen.at ?? since) + grace - now);
    if (listen) dues.push((this.listenedSeen.at ?? since) + grace - now, (this.listenerSeen.at ?? since) + grace - now);
    const stallDue = this.stall?.dueInMs(now);
    if (stallDue !== undefined) dues.push(stallDue);
    return dues.length === 0 ? grace : Math.min(...dues);
  }

  async check(signal?: AbortSignal): Promise<ProbeResult> {
    const started = performance.now();
    const { matcher, listen, grace } = this.options;
    const base: Record<string, unknown> = {
      ...(matcher ? { target: matcher.describe() } : {}),
      ...(listen ? { listen: formatBotListen(listen) } : {}),
    };
    const dialled = (c: TreeConnection) => matcher !== undefined && matcher.accepts(c.remoteAddress, c.remotePort);
    const listened = (c: TreeConnection) => listen !== undefined && isListenedConnection(listen, c.localAddress, c.localPort);
    const query: LinkQuery = {
      accept: (c) => dialled(c) || listened(c),
      listener: listen ? (l: TreeListener) => isServingListener(listen, l.address, l.port) : undefined,
      complete: (links, listeners) => (!matcher || links.some(dialled)) && (!listen || (listeners.length > 0 && links.some(listened))),
    };
    let sample: LinkSample;
    try {
      sample = this.options.sampler.sample(query);
    } catch (error) {
      return result(this.name, 'misconfigured', `cannot read the bot's sockets: ${(error as Error).message}`, started, base);
    }
    if (sample.kind === 'unreadable') {
      return result(
        this.name,
        'misconfigured',
        `cannot read ${sample.path} (${sample.code}): run the watchdog as the bot's user or as root`,
        started,
        base,
      );
    }
    if (sample.kind === 'gone') {
      this.stall?.reset();
      return result(this.name, 'healthy', 'no process of the bot is running', started, base);
    }

    let dialledLink = matcher ? sample.links.find(dialled) : undefined;
    if (matcher && !dialledLink && matcher.hasNames && this.now() - this.lastRefresh >= (this.options.refreshEvery ?? 10_000)) {
      // A container backend may have come back with a new address that the bot is using.
      this.lastRefresh = this.now();
      await matcher.refresh();
      dialledLink = sample.connections.find(dialled);
    }
    const listenedLink = listen ? sample.links.find(listened) : undefined;
    const listener = sample.listeners[0];
    const now = this.now();
    const wall = this.wallNow();
    for (const [seen, found] of [[this.dialledSeen, dialledLink], [this.listenedSeen, listenedLink], [this.listenerSeen, listener]] as const) {
      if (found) {
        seen.at = now;
        seen.wall = wall;
      }
    }

    const isLink = (c: TreeConnection) => dialled(c) || listened(c);
    this.stall?.update(now, sample.connections.filter(isLink));
    const stalled = this.stall?.suspect(now) ? await this.closeLook(this.stall, query, isLink, signal) : undefined;
    if (stalled) {
      const waiting = stalled.rxQueueSamples.join(' → ');
      return result(
        this.name,
        'unhealthy',
        `the bot has not read its link ${stalled.connection} for ${seconds(stalled.stalledForMs)}: ${stalled.rxQueue} bytes wait unread (receive queue ${waiting})`,
        started,
        {
          ...base,
          stallMs: this.options.stall,
          stalledForMs: stalled.stalledForMs,
          connection: stalled.connection,
          connectionPid: stalled.pid,
          rxQueue: stalled.rxQueue,
          rxQueueSamples: stalled.rxQueueSamples,
        },
      );
    }

    if (matcher && !dialledLink) {
      const unresolved = matcher.unresolved();
      if (unresolved.length > 0 && unresolved.length === matcher.size) {
        return result(this.name, 'misconfigured', unresolved.join('; '), started, base);
      }
    }

    // What each watched thing says: a healthy note, or a failure with its evidence. The listener
    // first: "nothing listens" explains a missing listened link too.
    const notes: string[] = [];
    const other = sample.connections.filter((c) => !dialled(c) && !listened(c)).slice(0, 5);
    if (listen) {
      const where = formatBotListen(listen);
      const missingListener = this.missing(this.listenerSeen, now);
      if (!listener && missingListener.forMs >= grace) {
        return result(this.name, 'unhealthy', `nothing of the bot listens on ${where} for ${seconds(missingListener.forMs)} (${missingListener.text})`, started, {
          ...base,
          listening: false,
          ...this.evidence(missingListener),
        });
      }
      const missingLink = this.missing(this.listenedSeen, now);
      if (!listenedLink && missingLink.forMs >= grace) {
        return result(this.name, 'unhealthy', `no connection to the bot's ${where} for ${seconds(missingLink.forMs)} (${missingLink.text})`, started, {
          ...base,
          listening: listener !== undefined,
          ...this.evidence(missingLink),
          otherConnections: other.map((c) => formatHostPort(c.remoteAddress, c.remotePort)),
        });
      }
      if (!listener) notes.push(`nothing listens on ${where} now; ${missingListener.text} (grace ${seconds(grace)})`);
      else if (listenedLink) notes.push(`${where} linked from ${formatHostPort(listenedLink.remoteAddress, listenedLink.remotePort)} (pid ${listenedLink.pid})`);
      else notes.push(`listening on ${where}, no connection now; ${missingLink.text} (grace ${seconds(grace)})`);
    }
    if (matcher) {
      const target = matcher.describe();
      const missingLink = this.missing(this.dialledSeen, now);
      if (!dialledLink && missingLink.forMs >= grace) {
        return result(this.name, 'unhealthy', `no connection from the bot to ${target} for ${seconds(missingLink.forMs)} (${missingLink.text})`, started, {
          ...base,
          ...this.evidence(missingLink),
          otherConnections: other.map((c) => formatHostPort(c.remoteAddress, c.remotePort)),
        });
      }
      if (dialledLink) notes.push(`connected to ${formatHostPort(dialledLink.remoteAddress, dialledLink.remotePort)} (pid ${dialledLink.pid})`);
      else notes.push(`no connection to ${target} now; ${missingLink.text} (grace ${seconds(grace)})`);
    }
    const shown = dialledLink ?? listenedLink;
    return result(this.name, 'healthy', notes.join('; '), started, {
      ...base,
      // How many connections the bot holds on its listened port (one per NapCat account).
      ...(listen ? { listenedLinks: new Set(sample.links.filter(listened).map((c) => formatHostPort(c.remoteAddress, c.remotePort))).size } : {}),
      ...(shown
        ? {
            connectionPid: shown.pid,
            local: formatHostPort(shown.localAddress, shown.localPort),
            remote: formatHostPort(shown.remoteAddress, shown.remotePort),
          }
        : {}),
    });
  }

  /**
   * A link has held unread bytes, never shrinking, for nearly `stall`: watch it sample by sample,
   * for `confirm` at least and until the stall is due. One shrink (or an empty queue) is the bot
   * reading: no stall.
   */
  private async closeLook(tracker: StallTracker, query: LinkQuery, isLink: (c: TreeConnection) => boolean, signal?: AbortSignal): Promise<Stall | undefined> {
    const step = this.options.closeLookStep ?? 20;
    const sleep = this.options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    const started = this.now();
    // It ends at the first sample `confirm` after it began: the stall is due by then (that is when
    // it begins). Bounded by count too: a clock that does not move (a test's) must not spin forever.
    for (let looks = Math.ceil(tracker.confirmMs / step) + 5; looks > 0 && !signal?.aborted; looks--) {
      await sleep(step);
      let sample: LinkSample;
      try {
        sample = this.options.sampler.sample(query);
      } catch {
        return undefined;
      }
      if (sample.kind !== 'ok') return undefined;
      const now = this.now();
      tracker.update(now, sample.connections.filter(isLink));
      if (!tracker.suspect(now)) return undefined;
      if (now - started >= tracker.confirmMs) {
        const stalled = tracker.stalled(now);
        if (stalled) return stalled;
      }
    }
    return undefined;
  }

  private missing(seen: Seen, now: number): { forMs: number; agoMs: number | null; wall: number | undefined; text: string } {
    const forMs = now - (seen.at ?? this.options.since);
    const agoMs = seen.at === undefined ? null : now - seen.at;
    return { forMs, agoMs, wall: seen.wall, text: agoMs === null ? 'never seen since the bot started' : `last seen ${seconds(agoMs)} ago` };
  }

  private evidence(missing: { forMs: number; agoMs: number | null; wall: number | undefined }): Record<string, unknown> {
    return {
      graceMs: this.options.grace,
      missingForMs: missing.forMs,
      lastSeenAt: missing.wall === undefined ? null : new Date(missing.wall).toISOString(),
      lastSeenAgoMs: missing.agoMs,
    };
  }
}
