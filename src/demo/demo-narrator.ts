import type { Plugin, StopRequest, SupervisorHandle, RunningChild } from '../supervisor/types.js';
import type { DemoLink, DemoMirai } from './demo-mirai.js';

export interface BreakRecord {
  n: number;
  quiet: boolean;
  detectedMs?: number;
  reason?: string;
  backMs?: number;
}

export interface NarratorOptions {
  mirai: DemoMirai;
  everyMs: number;
  /** Writes one line for a person. */
  say: (line: string) => void;
  now?: () => number;
}

/** The WebSocket path the demo bot uses (the watchdog's own probe uses /event). */
export const BOT_PATH = '/all';

/**
 * A plug-in of the demo: once the bot is connected, breaks its link every `everyMs` (every second
 * time silently: the bot then prints nothing, only its lost link shows), and tells what the
 * watchdog did: what it detected and how long after the break, and when the bot was back.
 */
export class DemoNarrator implements Plugin {
  readonly name = 'demo';
  readonly breaks: BreakRecord[] = [];
  private readonly mirai: DemoMirai;
  private readonly everyMs: number;
  private readonly say: (line: string) => void;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private brokenAt: number | undefined;
  private current: BreakRecord | undefined;
  private handle: SupervisorHandle | undefined;
  private readonly onConnection = (link: DemoLink) => this.connected(link);
  private readonly onStop = (child: RunningChild, request: StopRequest) => this.stopped(child, request);

  constructor(options: NarratorOptions) {
    this.mirai = options.mirai;
    this.everyMs = options.everyMs;
    this.say = options.say;
    this.now = options.now ?? (() => performance.now());
  }

  /** True once the supervisor runs (and so handles SIGINT and SIGTERM itself). */
  get started(): boolean {
    return this.handle !== undefined;
  }

  start(handle: SupervisorHandle): void {
    this.handle = handle;
    this.mirai.on('connection', this.onConnection);
    handle.events.on('stop', this.onStop);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.mirai.off('connection', this.onConnection);
    this.handle?.events.off('stop', this.onStop);
  }

  private connected(link: DemoLink): void {
    if (link.path !== BOT_PATH) return;
    const pid = this.handle?.current()?.pid;
    const record = this.current;
    if (record && this.brokenAt !== undefined && record.backMs === undefined) {
      record.backMs = Math.round(this.now() - this.brokenAt);
      this.say(`demo: the bot is back (pid ${pid ?? '?'}, linked again) ${record.backMs} ms after the break`);
    } else {
      this.say(`demo: the bot (pid ${pid ?? '?'}) is linked to the fake mirai; its link breaks in ${seconds(this.everyMs)}`);
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.breakLink(), this.everyMs);
  }

  private async breakLink(): Promise<void> {
    this.timer = undefined;
    const n = this.breaks.length + 1;
    const quiet = n % 2 === 0;
    if (quiet) await this.mirai.push(BOT_PATH, { type: 'DemoQuiet' });
    const record: BreakRecord = { n, quiet };
    this.breaks.push(record);
    this.current = record;
    this.brokenAt = this.now();
    const dropped = this.mirai.dropLinks(BOT_PATH);
    this.say(
      `demo: break #${n}: the bot's WebSocket to mirai dropped (1006)${
        quiet ? '; this time the bot prints nothing and just goes deaf' : '; the bot prints its error and goes deaf'
      }${dropped === 0 ? ' (no link was up)' : ''}`,
    );
  }

  private stopped(child: RunningChild, request: StopRequest): void {
    const record = this.current;
    if (!record || this.brokenAt === undefined || record.detectedMs !== undefined) return;
    record.detectedMs = Math.round(this.now() - this.brokenAt);
    record.reason = request.reason;
    this.say(`demo: the watchdog detected ${describe(request)} ${record.detectedMs} ms after the break and restarts the bot (pid ${child.pid})`);
  }
}

function describe(request: StopRequest): string {
  const evidence = request.evidence ?? {};
  switch (request.reason) {
    case 'output-match':
      return `the line "${String(evidence['line'] ?? '').slice(0, 60)}" (output-match)`;
    case 'link-lost':
      return 'that the bot holds no link to mirai any more (link-lost)';
    default:
      return `"${request.reason}"`;
  }
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/**
 * One line over the finished breaks, per kind of break: e.g. "demo: 4 breaks. printed error:
 * detected in median 9 ms, back in median 420 ms (2 runs); silent: detected in median 1800 ms, …".
 */
export function summary(breaks: readonly BreakRecord[]): string {
  if (breaks.length === 0) return 'demo: no break yet';
  const part = (name: string, group: readonly BreakRecord[]): string | undefined => {
    if (group.length === 0) return undefined;
    const detected = group.map((b) => b.detectedMs).filter((v): v is number => v !== undefined);
    const back = group.map((b) => b.backMs).filter((v): v is number => v !== undefined);
    const stat = (values: number[]) => (values.length === 0 ? 'not yet' : `in median ${median(values)} ms (max ${Math.max(...values)} ms)`);
    return `${name} (${group.length}): detected ${stat(detected)}, bot back ${stat(back)}`;
  };
  const parts = [
    part('the bot printed its error', breaks.filter((b) => !b.quiet)),
    part('the bot went deaf silently', breaks.filter((b) => b.quiet)),
  ].filter(Boolean);
  return `demo: ${breaks.length} break${breaks.length === 1 ? '' : 's'}. ${parts.join('; ')}.`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : Math.round(((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2);
}
