// Shared checks of the fault-matrix tests (README "Fault matrix"): after each fault, the bot runs or
// is stopped as it should be, no process of an old tree is left, no zombie, never a second bot.
// Processes are told apart by the tree marker (BOT_WATCHDOG_TREE) the watchdog gives each bot:
// other watchdogs on the machine (other test files) carry other markers and are never counted.
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runWatchdog, type WatchdogRun } from '../helpers/watchdog-process.js';
import type { LogRecord } from '../helpers/log-sink.js';
import { waitUntil } from '../helpers/wait.js';

export const node = process.execPath;

export function tempDir(t: TestContext, prefix = 'bw-fault-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Writes the config (fast restarts, JSON logs) into `dir` (a new temp folder by default) and runs
 * the real CLI. When the test ends: the watchdog is stopped, the groups of its bots are killed,
 * then `dir` is removed (after the watchdog, which writes its state file there until it exits).
 */
export function startWatchdog(t: TestContext, config: Record<string, unknown>, dir = mkdtempSync(join(tmpdir(), 'bw-fault-'))): WatchdogRun & { configFile: string } {
  const file = join(dir, 'watchdog.config.json');
  writeFileSync(
    file,
    JSON.stringify({
      log: { format: 'json', level: 'debug' },
      stop: { timeout: '3s' },
      ...config,
      restart: { initialDelay: '50ms', maxDelay: '200ms', jitter: 0, ...((config.restart as object) ?? {}) },
    }),
  );
  const run = runWatchdog(['run', '--config', file]);
  t.after(async () => {
    if (run.child.exitCode === null && run.child.signalCode === null) {
      run.kill('SIGTERM');
      const timer = setTimeout(() => run.kill('SIGKILL'), 15_000);
      await run.exited;
      clearTimeout(timer);
    }
    for (const spawn of events(run, 'child.spawn')) {
      try {
        process.kill(-(spawn.pid as number), 'SIGKILL');
      } catch {
        // gone, as it should be
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });
  return Object.assign(run, { configFile: file });
}

export const events = (run: WatchdogRun, event: string): LogRecord[] => run.logs().filter((r) => r.event === event);

interface Proc {
  pid: number;
  ppid: number;
  state: string;
  marker: string | undefined;
}

function readProc(pid: number): Proc | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    let marker: string | undefined;
    try {
      const env = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
      marker = env.find((v) => v.startsWith('BOT_WATCHDOG_TREE='))?.slice('BOT_WATCHDOG_TREE='.length);
    } catch {
      // a zombie has no environment left
    }
    return { pid, ppid: Number(rest[1]), state: rest[0] as string, marker };
  } catch {
    return undefined;
  }
}

function allProcs(): Proc[] {
  const out: Proc[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const proc = readProc(Number(name));
    if (proc) out.push(proc);
  }
  return out;
}

/**
 * Tracks the trees of one watchdog run: call `note()` after each child.spawn you care about (it
 * reads the bot's marker from /proc while the bot lives).
 */
export class Trees {
  readonly markers = new Set<string>();
  constructor(private readonly run: WatchdogRun) {}

  /** Records the marker of every bot spawned so far that still runs. */
  note(): void {
    for (const spawn of events(this.run, 'child.spawn')) {
      const marker = readProc(spawn.pid as number)?.marker;
      if (marker) this.markers.add(marker);
    }
  }

  /** Live (not zombie) processes carrying one of the noted markers, minus the current bot's tree. */
  live(except?: string): Proc[] {
    return allProcs().filter((p) => p.marker !== undefined && this.markers.has(p.marker) && p.marker !== except && p.state !== 'Z');
  }

  /** The marker of the bot now running (the newest child.spawn). */
  current(): string | undefined {
    const spawn = events(this.run, 'child.spawn').at(-1);
    return spawn ? readProc(spawn.pid as number)?.marker : undefined;
  }

  /** Waits until no process of an old tree is left (the current bot's tree excepted). */
  async noOldTree(timeoutMs = 15_000): Promise<void> {
    const current = this.current();
    await waitUntil(() => this.live(current).length === 0, timeoutMs, 50).catch(() => {
      assert.fail(`processes of an old tree left: ${JSON.stringify(this.live(current))}`);
    });
  }

  /** Waits until none of the noted trees has a process left (after the watchdog stopped). */
  async nothingLeft(timeoutMs = 15_000): Promise<void> {
    await waitUntil(() => this.live().length === 0, timeoutMs, 50).catch(() => {
      assert.fail(`processes of the bot's trees left: ${JSON.stringify(this.live())}`);
    });
  }

  /** Exactly one bot: one process of a noted tree whose parent is the watchdog, and it is the newest spawn. */
  async oneBot(timeoutMs = 15_000): Promise<number> {
    this.note();
    const roots = () => allProcs().filter((p) => p.ppid === this.run.pid && p.state !== 'Z' && p.marker !== undefined);
    await waitUntil(() => roots().length === 1, timeoutMs, 50).catch(() => {
      assert.fail(`expected one bot, the watchdog's children: ${JSON.stringify(roots())}`);
    });
    const [root] = roots();
    assert.equal(root?.pid, events(this.run, 'child.spawn').at(-1)?.pid, 'the bot is the one last spawned');
    return root!.pid;
  }
}

/** No zombie among the watchdog's children for long (a zombie is only transient until reaped). */
export async function noZombie(run: WatchdogRun, timeoutMs = 10_000): Promise<void> {
  const zombies = () => allProcs().filter((p) => p.ppid === run.pid && p.state === 'Z');
  await waitUntil(() => zombies().length === 0, timeoutMs, 50).catch(() => {
    assert.fail(`zombies left under the watchdog: ${JSON.stringify(zombies())}`);
  });
}

/** The watchdog's resident set (kB), from /proc. */
export function rssKb(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** No line of the watchdog's stderr is a stack trace. */
export function noStackTrace(run: WatchdogRun): void {
  assert.doesNotMatch(run.stderr(), /\n\s+at .+:\d+:\d+\)?\n/, 'a stack trace in the output');
}
