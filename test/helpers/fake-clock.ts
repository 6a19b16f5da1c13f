import { sleepOn, type Clock, type TimerHandle } from '../../src/clock/clock.js';

interface VirtualTimer {
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * Virtual time for exact timing tests: timers fire and sleeps resolve only when the test advances
 * the clock, in the order they are due (a timer set by a callback inside the window fires too).
 * `advance` lets promises settle between timers; `advanceSync`/`advanceToSync` run the timers alone,
 * synchronously, for code that is callback-only.
 */
export class FakeClock implements Clock {
  private time: number;
  private seq = 0;
  private timers: VirtualTimer[] = [];
  /** Every sleep requested, in order, in ms. */
  readonly sleeps: number[] = [];
  /** Every timer ever armed (to show that nothing storms). */
  armed = 0;
  /** Delays of every timer armed, in order. */
  readonly delays: number[] = [];
  /** Wall clock minus monotonic time: `jumpWall` changes it, as NTP or a resumed VM would. */
  private wallOffset: number;

  /** `wallStart`: the wall clock at monotonic time `start`. */
  constructor(wallStart = Date.UTC(2026, 0, 1), start = 0) {
    this.time = start;
    this.wallOffset = wallStart - start;
  }

  now(): number {
    return this.time;
  }

  wallNow(): number {
    return this.time + this.wallOffset;
  }

  /** The wall clock steps by `ms` (negative: back); monotonic time and timers are unaffected. */
  jumpWall(ms: number): void {
    this.wallOffset += ms;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    this.armed++;
    this.delays.push(ms);
    const timer: VirtualTimer = { at: this.time + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    return timer as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle === undefined) return;
    this.timers = this.timers.filter((t) => t !== (handle as unknown as VirtualTimer));
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    return sleepOn(this, ms, signal);
  }

  /** Moves time forward by `ms`, firing every timer that is due on the way, in order. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    // What is already under way settles before time moves.
    await flush();
    for (;;) {
      const next = this.nextDue(end);
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.time = next.at;
      next.fn();
      await flush();
    }
    this.time = end;
    await flush();
  }

  /**
   * Moves time forward by `ms` in steps of `stepMs`, letting promises settle after each: for code
   * whose checks do real I/O (a file read), which must land close to the virtual time it began.
   */
  async advanceInSteps(ms: number, stepMs = 10): Promise<void> {
    for (let done = 0; done < ms; done += stepMs) await this.advance(Math.min(stepMs, ms - done));
  }

  /** Moves time forward by `ms`, running every timer that falls due at its own time, synchronously. */
  advanceSync(ms: number): void {
    this.advanceToSync(this.time + ms);
  }

  advanceToSync(target: number): void {
    for (;;) {
      const next = this.nextDue(target);
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.time = Math.max(this.time, next.at);
      next.fn();
    }
    this.time = Math.max(this.time, target);
  }

  /** When the earliest pending timer is due. */
  nextAt(): number | undefined {
    return this.timers.reduce<number | undefined>((min, t) => (min === undefined || t.at < min ? t.at : min), undefined);
  }

  /** Timers (and sleeps) still waiting. */
  pending(): number {
    return this.timers.length;
  }

  private nextDue(end: number): VirtualTimer | undefined {
    let next: VirtualTimer | undefined;
    for (const timer of this.timers) {
      if (timer.at > end) continue;
      if (!next || timer.at < next.at || (timer.at === next.at && timer.seq < next.seq)) next = timer;
    }
    return next;
  }
}

/** Lets pending promise callbacks run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}
