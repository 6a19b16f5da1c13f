/**
 * A token bucket: at most `burst` requests at once, refilled at `perSecond`. The status endpoint
 * answers 429 beyond it, so a flood costs the watchdog one cheap answer per request at most.
 */
export class RateLimit {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    /** Monotonic milliseconds (the injected clock's `now`). */
    private readonly now: () => number,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  take(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/**
 * One bucket per key (a source address), so that one client's flood uses up its own budget only.
 * At most `maxKeys` buckets are kept (the one used least recently is dropped first: it starts full
 * again if that client comes back), so a flood from many addresses costs bounded memory.
 */
export class KeyedRateLimit {
  private readonly buckets = new Map<string, RateLimit>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number,
    private readonly maxKeys = 256,
  ) {}

  take(key: string): boolean {
    let bucket = this.buckets.get(key);
    if (bucket) this.buckets.delete(key);
    else {
      if (this.buckets.size >= this.maxKeys) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
      bucket = new RateLimit(this.perSecond, this.burst, this.now);
    }
    this.buckets.set(key, bucket);
    return bucket.take();
  }
}
