/**
 * Rate-limits reports about one source address (a refused or cut connection): the first of a
 * source is reported at once, later ones at most once per `windowMs` with the count since the last
 * report (`count` includes the one that triggers it). So a flood costs one log line per source a
 * minute, and still says who and how many. At most `maxSources` sources are remembered (the one
 * seen least recently is forgotten first), so a flood from many addresses costs bounded memory.
 */
export class SourceLog {
  private readonly sources = new Map<string, { lastAt: number; unreported: number }>();

  constructor(
    private readonly report: (source: string, reason: string, count: number) => void,
    private readonly now: () => number,
    private readonly windowMs = 60_000,
    private readonly maxSources = 256,
  ) {}

  note(source: string, reason: string): void {
    const seen = this.sources.get(source);
    const now = this.now();
    if (seen) {
      this.sources.delete(source); // re-inserted below: the map stays ordered by last use
      seen.unreported += 1;
      this.sources.set(source, seen);
      if (now - seen.lastAt < this.windowMs) return;
      const count = seen.unreported;
      seen.lastAt = now;
      seen.unreported = 0;
      this.emit(source, reason, count);
      return;
    }
    if (this.sources.size >= this.maxSources) {
      const oldest = this.sources.keys().next().value;
      if (oldest !== undefined) this.sources.delete(oldest);
    }
    this.sources.set(source, { lastAt: now, unreported: 0 });
    this.emit(source, reason, 1);
  }

  private emit(source: string, reason: string, count: number): void {
    try {
      this.report(source, reason, count);
    } catch {
      // a reporter's bug never reaches the listener
    }
  }
}
