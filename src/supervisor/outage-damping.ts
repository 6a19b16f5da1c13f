/**
 * restart.flapping: the damping of the restarts a backend causes (outages, blips, relogins).
 * They never count toward restart.limit — a long outage must never make the watchdog give up — so
 * without a damping of their own a flapping backend (one that drops every link, or announces a
 * heartbeat it does not keep) restarts the bot as fast as it flaps: a login burst of the bot
 * against QQ each time.
 *
 * The stop is never delayed (the bot's own link is gone: it is deaf), only the next start: the
 * first `count` outage restarts within `window` start the bot as soon as the backend is ready;
 * each further one waits `delay`, doubling, at most `maxDelay`, and then for the backend. A
 * backend that flaps for good costs at most one start of the bot per `maxDelay`; once it has been
 * quiet for `window`, restarts are immediate again.
 */
export interface FlappingOptions {
  /** Outage restarts within `window` that start the bot at once; 0 = no damping. */
  count: number;
  window: number;
  /** The wait of the first damped restart; it doubles with each further one. */
  delay: number;
  maxDelay: number;
}

export interface Damping {
  /** The outage restarts within the window, this one included (times on the decision's clock). */
  recent: number[];
  /** The wait before the next start; 0 when not damped. */
  delayMs: number;
  /** Set when this restart is damped: how many outage restarts within the window. */
  flapping?: { outages: number; windowMs: number };
}

/** The damping of one outage restart at `now`, given the earlier ones. Pure. */
export function dampOutage(now: number, earlier: readonly number[], options: FlappingOptions | undefined): Damping {
  if (!options || options.count <= 0) return { recent: [], delayMs: 0 };
  const recent = [...earlier.filter((at) => at > now - options.window), now];
  const beyond = recent.length - options.count;
  if (beyond <= 0) return { recent, delayMs: 0 };
  const delayMs = Math.min(options.maxDelay, options.delay * 2 ** Math.min(beyond - 1, 30));
  return { recent, delayMs, flapping: { outages: recent.length, windowMs: options.window } };
}
