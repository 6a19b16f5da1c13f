import { sleepOn, type Clock, type TimerHandle } from '../../src/clock/clock.js';

/**
 * A Clock on virtual time that advances synchronously (FakeClock's advance also lets promises
 * settle): timers fire only when the test advances it, in due order, each at its exact time.
 */
export class VirtualTimers implements Clock {
  private time: number;
  private seq = 0;
  private timers: { id: number; at: number; fn: () => void }[] = [];
  /** Every timer ever armed (to show that nothing storms). */
  armed = 0;
  /** Delays of every timer armed, in order. */
  readonly delays: number[] = [];
  /** Wall clock minus monotonic time: `jumpWall` changes it, as NTP or a resumed VM would. */
  private wallOffset: number;

  constructor(start = 0, wallStart = Date.UTC(2024, 4, 1)) {
    this.time = start;
    this.wallOffset = wallStart - start;
  }

  now(): number {
    return this.time;
  }

  /** Wall-clock ms since the epoch. */
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
    const timer = { id: ++this.seq, at: this.time + Math.max(0, ms), fn };
    this.timers.push(timer);
    return timer.id as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    this.timers = this.timers.filter((t) => t.id !== (handle as unknown as number));
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }

  /** Moves time forward by `ms`, running every timer that falls due, at its own time. */
  advance(ms: number): void {
    this.advanceTo(this.time + ms);
  }

  advanceTo(target: number): void {
    for (;;) {
      const next = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.time = Math.max(this.time, next.at);
      next.fn();
    }
    this.time = Math.max(this.time, target);
  }

  pending(): number {
    return this.timers.length;
  }

  /** When the earliest pending timer is due. */
  nextAt(): number | undefined {
    return this.timers.reduce<number | undefined>((min, t) => (min === undefined || t.at < min ? t.at : min), undefined);
  }
}
