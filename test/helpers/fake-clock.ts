import { sleepOn, type Clock, type TimerHandle } from '../../src/clock/clock.js';

interface VirtualTimer {
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * Virtual time for exact timing tests: timers fire and sleeps resolve only when the test advances
 * the clock, in the order they are due (a timer set by a callback inside the window fires too).
 */
export class FakeClock implements Clock {
  private time = 0;
  private seq = 0;
  private timers: VirtualTimer[] = [];
  /** Every sleep requested, in order, in ms. */
  readonly sleeps: number[] = [];

  constructor(private readonly wallStart = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.time;
  }

  wallNow(): number {
    return this.wallStart + this.time;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
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
