import { setFlagsFromString } from 'node:v8';
import type { Clock, TimerHandle } from '../clock/clock.js';

/**
 * V8's optimizing compiler (TurboFan) held back until the watchdog has work worth optimizing.
 *
 * An idle watchdog runs a few probes a second at most: the interpreter and the baseline compiler
 * serve that at the same CPU cost, while the first function TurboFan optimizes brings about
 * 3.5 MiB of Node's own machine code into the process's memory for good (bench/overhead.ts). So
 * `bin/` holds TurboFan back before any of our code is loaded, and `run` lets it go, once and for
 * good, when the watchdog is busy: a burst (at least 10 % of one core over one 2 s sample: a bot
 * flooding its output, a restart storm) or steady work (at least 2 % over the last minute: a bot
 * that prints a lot all the time).
 *
 * Held only on V8 11 (Node 20), where it is measured and where `--no-turbofan` is all there is
 * to hold (newer V8s have a second optimizing compiler, Maglev). Node flags given by the user
 * (`node --opt …`, `--no-opt`, `--jitless`, `--lite-mode`, `--max-opt`, in either spelling) or
 * BOT_WATCHDOG_TURBOFAN=on decide instead: then nothing is held and nothing is released.
 *
 * While it is held, Node compiles the built-in modules it loads from source instead of taking
 * them from its code cache (the cache is tied to V8's flags): a few milliseconds at start-up.
 */

/** Node flags that already say what the optimizing compiler does (V8 takes `_` for `-`). */
const USER_CHOICE = /(^|\s)--(no-?)?(opt|turbofan|jitless|lite-mode|max-opt|turbo-filter)(?=[=\s]|$)/;

export function userChoseOptimizer(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  const flags = ` ${execArgv.join(' ')} ${nodeOptions ?? ''} `.replace(/--[^\s=]+/g, (flag) => flag.replace(/_/g, '-'));
  return USER_CHOICE.test(flags);
}

export interface HoldContext {
  execArgv?: readonly string[];
  env?: NodeJS.ProcessEnv;
  v8Version?: string;
  setFlags?: (flags: string) => void;
}

let held = false;

/**
 * Called by bin/ before the CLI is imported. Returns whether TurboFan is now held (false where the
 * user's flags or BOT_WATCHDOG_TURBOFAN=on decide, or on another V8 than 11).
 */
export function holdOptimizer(context: HoldContext = {}): boolean {
  const env = context.env ?? process.env;
  if (env.BOT_WATCHDOG_TURBOFAN === 'on') return false;
  if (!(context.v8Version ?? process.versions.v8).startsWith('11.')) return false;
  if (userChoseOptimizer(context.execArgv ?? process.execArgv, env.NODE_OPTIONS)) return false;
  (context.setFlags ?? setFlagsFromString)('--no-turbofan');
  held = true;
  return true;
}

/** Whether bin/ held TurboFan in this process (and it was not released since). */
export function optimizerHeld(): boolean {
  return held;
}

export interface OptimizerReleaseOptions {
  clock: Clock;
  /** Called once, when the watchdog was busy: `cpuPercent` of one core over `windowMs`. */
  onRelease: (info: { cpuPercent: number; windowMs: number }) => void;
  /** Length of each CPU sample. Default 2 s. */
  windowMs?: number;
  /** CPU % of one core over one sample that counts as busy. Default 10 (an idle watchdog: 0.3). */
  burstPercent?: number;
  /** CPU % of one core over the last `steadyWindows` samples that counts as busy. Default 2. */
  steadyPercent?: number;
  /** Samples the steady rate is averaged over. Default 30 (a minute). */
  steadyWindows?: number;
  /** Microseconds of CPU used by this process so far (tests inject it). */
  cpuMicros?: () => number;
  setFlags?: (flags: string) => void;
  /** Whether TurboFan is held (tests inject it; default: what holdOptimizer did). */
  isHeld?: () => boolean;
}

/**
 * Watches the process's CPU while TurboFan is held and releases it the first time the watchdog is
 * busy. Does nothing where nothing is held. The timer never keeps the process alive.
 */
export class OptimizerRelease {
  private readonly windowMs: number;
  private readonly burstPercent: number;
  private readonly steadyPercent: number;
  private readonly steadyWindows: number;
  private readonly cpuMicros: () => number;
  private readonly setFlags: (flags: string) => void;
  private timer: TimerHandle | undefined;
  /** [cpu µs, at ms] at the start of each of the last samples, oldest first. */
  private readonly marks: [number, number][] = [];
  private done = false;

  constructor(private readonly options: OptimizerReleaseOptions) {
    this.windowMs = options.windowMs ?? 2000;
    this.burstPercent = options.burstPercent ?? 10;
    this.steadyPercent = options.steadyPercent ?? 2;
    this.steadyWindows = options.steadyWindows ?? 30;
    this.cpuMicros =
      options.cpuMicros ??
      (() => {
        const usage = process.cpuUsage();
        return usage.user + usage.system;
      });
    this.setFlags = options.setFlags ?? setFlagsFromString;
  }

  start(): void {
    if (this.done || this.timer !== undefined || !(this.options.isHeld ?? optimizerHeld)()) return;
    this.marks.push([this.cpuMicros(), this.options.clock.now()]);
    this.schedule();
  }

  stop(): void {
    this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Whether TurboFan was let go by this watcher. */
  get released(): boolean {
    return this.done;
  }

  private schedule(): void {
    this.timer = this.options.clock.setTimeout(() => this.sample(), this.windowMs, { unref: true });
  }

  private sample(): void {
    this.timer = undefined;
    const now: [number, number] = [this.cpuMicros(), this.options.clock.now()];
    const last = this.marks[this.marks.length - 1]!;
    const burst = percent(last, now);
    this.marks.push(now);
    if (this.marks.length > this.steadyWindows + 1) this.marks.shift();
    const steady = this.marks.length > this.steadyWindows ? percent(this.marks[0]!, now) : 0;
    if (burst >= this.burstPercent) return this.release(burst, now[1] - last[1]);
    if (steady >= this.steadyPercent) return this.release(steady, now[1] - this.marks[0]![1]);
    this.schedule();
  }

  private release(cpuPercent: number, windowMs: number): void {
    this.done = true;
    held = false;
    this.setFlags('--turbofan');
    try {
      this.options.onRelease({ cpuPercent: Math.round(cpuPercent * 10) / 10, windowMs });
    } catch {
      // A report that fails (the log) must not take the watchdog down; TurboFan is on anyway.
    }
  }
}

/** CPU % of one core between two [cpu µs, at ms] marks. */
function percent(from: [number, number], to: [number, number]): number {
  return (to[0] - from[0]) / 10 / Math.max(1, to[1] - from[1]);
}
