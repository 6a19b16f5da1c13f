import { isCut, scanStream, type ScannedLine } from '../child/line-scanner.js';
import { compileOutputPattern, type OutputPattern } from '../child/output-pattern.js';
import type { Clock, TimerHandle } from '../clock/clock.js';
import type { HealthVerdict } from '../health/types.js';
import type { Evidence } from '../log/events.js';
import type { Plugin, RunningChild, SupervisorHandle } from '../supervisor/types.js';
import { followRuns } from './follow-runs.js';

export interface OutputWatcherOptions {
  /** JavaScript regular expressions (validated by the config); a line matching one = restart now. */
  patterns: string[];
  /** No output at all (stdout or stderr) for this long = hung; 0 = off. Silence waits out the sink's startup grace. */
  silence: number;
  clock: Clock;
  /** An unfinished line is scanned after this long without more output. Default 100 ms. */
  idleMs?: number;
  /** Longest part of a line that is scanned. Default 64 KiB. */
  maxLineBytes?: number;
}

/** Longest matched line kept as evidence in logs. */
const EVIDENCE_CHARS = 300;

interface Armed {
  child: RunningChild;
  detach: (() => void)[];
  lastOutput: number;
  printed: boolean;
  silenceTimer: TimerHandle | undefined;
  matched: boolean;
}

/**
 * probes.output: scans the bot's stdout and stderr line by line (beside the relay, which passes
 * every byte through unchanged) for the configured patterns (reason output-match, at once, even
 * during startup.grace: a printed failure is not a slow start), and watches for silence (reason
 * output-silent, after startup.grace).
 */
export class OutputWatcher implements Plugin {
  readonly name = 'output';
  private readonly patterns: OutputPattern[];
  private readonly clock: Clock;
  private handle: SupervisorHandle | undefined;
  private armed: Armed | undefined;
  private unfollow: (() => void) | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly options: OutputWatcherOptions) {
    this.patterns = options.patterns.map((source) => compileOutputPattern(source));
    this.clock = options.clock;
  }

  get active(): boolean {
    return this.patterns.length > 0 || this.options.silence > 0;
  }

  start(handle: SupervisorHandle): void {
    if (!this.active) return;
    this.handle = handle;
    // The grace ended early (the bot is up): silence counts from now on, so look again.
    this.unsubscribe = handle.health.subscribe((update) => {
      const armed = this.armed;
      if (update.kind !== 'grace-ended' || !armed || this.options.silence <= 0 || armed.matched) return;
      this.clock.clearTimeout(armed.silenceTimer);
      armed.silenceTimer = undefined;
      this.checkSilence(armed);
    });
    this.unfollow = followRuns(
      handle,
      (child) => this.arm(child),
      () => this.disarm(),
    );
  }

  stop(): void {
    this.disarm();
    this.unfollow?.();
    this.unfollow = undefined;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.handle = undefined;
  }

  private arm(child: RunningChild): void {
    this.disarm();
    const armed: Armed = { child, detach: [], lastOutput: child.spawnedAt, printed: false, silenceTimer: undefined, matched: false };
    this.armed = armed;
    const onChunk = this.options.silence > 0 ? () => {
      armed.lastOutput = this.clock.now();
      armed.printed = true;
    } : undefined;
    const onLine = this.patterns.length > 0 ? (line: ScannedLine) => this.scan(armed, line) : undefined;
    for (const stream of ['stdout', 'stderr'] as const) {
      armed.detach.push(
        scanStream(child[stream], {
          stream,
          clock: this.clock,
          onChunk,
          onLine,
          idleMs: this.options.idleMs,
          maxLineBytes: this.options.maxLineBytes,
        }),
      );
    }
    if (this.options.silence > 0) {
      this.report('output-silence', 'starting', 'starting (startup.grace)');
      this.scheduleSilenceCheck(armed);
    }
    if (this.patterns.length > 0) this.report('output-pattern', 'healthy', `watching for ${this.patterns.length} pattern(s)`);
  }

  private scan(armed: Armed, line: ScannedLine): void {
    if (armed.matched || this.armed !== armed) return;
    const pattern = this.patterns.find((p) => p.test(line.text, isCut(line)));
    if (!pattern) return;
    armed.matched = true;
    // This run is being restarted: its silence no longer matters.
    this.clock.clearTimeout(armed.silenceTimer);
    armed.silenceTimer = undefined;
    const text = line.text.length > EVIDENCE_CHARS ? `${line.text.slice(0, EVIDENCE_CHARS)}…` : line.text;
    const evidence = { pattern: pattern.source, line: text, stream: line.stream, ...(line.partial ? { partial: true } : {}) };
    this.report('output-pattern', 'unhealthy', `the bot printed a line matching /${pattern.source}/`, evidence);
  }

  /** One timer per run, re-armed for the remaining time when it fires: output never touches timers. */
  private scheduleSilenceCheck(armed: Armed): void {
    const deadline = Math.max(armed.lastOutput + this.options.silence, this.graceEnd());
    const wait = Math.max(1, deadline - this.clock.now());
    armed.silenceTimer = this.clock.setTimeout(() => {
      armed.silenceTimer = undefined;
      if (this.armed === armed) this.checkSilence(armed);
    }, wait);
  }

  /** Silent for `silence`, after the sink's startup grace: unhealthy; otherwise look again later. */
  private checkSilence(armed: Armed): void {
    const { silence } = this.options;
    const now = this.clock.now();
    if (now < Math.max(armed.lastOutput + silence, this.graceEnd())) {
      if (now >= this.graceEnd()) this.report('output-silence', 'healthy', 'the bot is printing');
      this.scheduleSilenceCheck(armed);
      return;
    }
    const silentForMs = now - armed.lastOutput;
    const lastOutputAt = armed.printed ? new Date(this.clock.wallNow() - silentForMs).toISOString() : null;
    const reason = `no output from the bot for ${(silentForMs / 1000).toFixed(1)}s (silence ${(silence / 1000).toFixed(1)}s)`;
    this.report('output-silence', 'unhealthy', reason, { silentForMs, silenceMs: silence, lastOutputAt });
  }

  /** When the running bot's startup grace ends, as the health sink rules it (-∞: over). */
  private graceEnd(): number {
    return this.handle?.health.graceEndsAt() ?? -Infinity;
  }

  private report(probe: string, verdict: HealthVerdict, reason: string, evidence?: Evidence): void {
    this.handle?.health.report({ probe, verdict, reason, latencyMs: 0, ...(evidence ? { evidence } : {}) });
  }

  private disarm(): void {
    const armed = this.armed;
    this.armed = undefined;
    if (!armed) return;
    this.clock.clearTimeout(armed.silenceTimer);
    for (const detach of armed.detach) detach();
  }
}
