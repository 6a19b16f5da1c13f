/**
 * "Give up after `count` restarts within `window`": a sliding window of restart times.
 * count 0 means never give up.
 */
export class RestartLimit {
  private readonly times: number[] = [];

  constructor(
    readonly count: number,
    readonly window: number,
  ) {}

  /** Restarts recorded within the window ending at `now`. */
  recent(now: number): number {
    this.prune(now);
    return this.times.length;
  }

  /** True when another restart at `now` would exceed the limit. */
  exceeded(now: number): boolean {
    return this.count > 0 && this.recent(now) >= this.count;
  }

  record(now: number): void {
    this.prune(now);
    this.times.push(now);
  }

  private prune(now: number): void {
    while (this.times.length > 0 && (this.times[0] as number) <= now - this.window) this.times.shift();
  }
}
