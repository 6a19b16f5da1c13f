// Soak: 1000 restart cycles of a small bot tree under the real CLI. Each cycle is a SIGHUP to the
// watchdog: it stops the whole tree (a child and a `setsid` helper that only the tree marker
// finds), writes the state file at every transition and spawns the next tree at once — spawn,
// kill-tree and state writes, as fast as they go. A SIGHUP cycle (rather than a bot that exits at
// once) leaves the watchdog in the same phase at every sample: the bot up, nothing in flight.
// Every 100 cycles: the watchdog's RSS (VmRSS), open fds, children, zombies and orphans (any
// process of this run's trees — found by an environment variable every tree inherits — that is
// not part of the current tree). Pass: RSS at the end within 10 MiB of the sample after 200 cycles
// of warm-up (V8 sizes its young generation meanwhile; in between, the heap's high-water mark
// moves with GC timing, shown as the peak), fds back at the first sample's count, never a zombie or an orphan, and at the end
// nothing of any tree left and no temp file beside the state file.
// Run: npm run build && node --import tsx bench/soak.ts [--cycles 1000] [--node-args=<flag>...]   (exits 1 on FAIL)
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { allProcesses, environValue, fdCount, fdTargets, rssKb } from './lib/proc-sample.js';
import { markdownTable } from './lib/stats.js';
import { WatchdogCli } from './lib/watchdog-cli.js';

export const TARGET = { rssGrowthMiB: 10 };
const SAMPLE_EVERY = 100;
const WARMUP_CYCLES = 200;
/** Every process of every tree of this run carries it (the bot's env is inherited). */
const RUN_ENV = 'BW_SOAK_RUN';
const MARKER_ENV = 'BOT_WATCHDOG_TREE';

export interface SoakSample {
  cycle: number;
  elapsedMs: number;
  rssMiB: number;
  fds: number;
  fdTargets: string[];
  /** Direct children of the watchdog (the bot's main process: 1). */
  children: number;
  /** Processes of the current tree (the bot and its helpers). */
  tree: number;
  zombies: number;
  orphans: number[];
  /** pid, command, parent, and how far off its tree its marker is, of each orphan. */
  orphanInfo: string[];
}

interface Scan {
  children: number;
  tree: number;
  zombies: number;
  orphans: number[];
  orphanInfo: string[];
}

/** The watchdog's children and zombies; this run's processes outside the current tree. */
function scan(watchdogPid: number, runId: string, currentMarker: string | undefined): Scan {
  let children = 0;
  let tree = 0;
  let zombies = 0;
  const orphans: number[] = [];
  const orphanInfo: string[] = [];
  for (const proc of allProcesses()) {
    if (proc.ppid === watchdogPid) {
      if (proc.state === 'Z') zombies++;
      else children++;
    }
    if (proc.state === 'Z') continue;
    if (environValue(proc.pid, RUN_ENV) !== runId) continue;
    if (currentMarker !== undefined && environValue(proc.pid, MARKER_ENV) === currentMarker) tree++;
    else {
      orphans.push(proc.pid);
      orphanInfo.push(`${proc.pid} ${proc.comm} (parent ${proc.ppid}, state ${proc.state})`);
    }
  }
  return { children, tree, zombies, orphans, orphanInfo };
}

/**
 * Waits until the new tree is complete (the bot and its helper) and the fd count holds still.
 * The bot's marker is read from its environment, which is unreadable while it execs: read again.
 */
async function settle(watchdogPid: number, runId: string, botPid: number): Promise<{ fds: number; scan: Scan }> {
  let last = -1;
  let marker: string | undefined;
  for (let i = 0; i < 100; i++) {
    marker ??= environValue(botPid, MARKER_ENV);
    const fds = fdCount(watchdogPid);
    const found = scan(watchdogPid, runId, marker);
    if (fds === last && found.tree >= 2) return { fds, scan: found };
    last = fds;
    await delay(20);
  }
  return { fds: fdCount(watchdogPid), scan: scan(watchdogPid, runId, marker ?? environValue(botPid, MARKER_ENV)) };
}

export interface SoakResult {
  samples: SoakSample[];
  cycles: number;
  durationMs: number;
  exit: { code: number | null; signal: NodeJS.Signals | null };
  /** After the watchdog exited: processes of this run still alive, temp files beside the state file. */
  leftovers: number[];
  leftoverInfo: string[];
  tempFiles: string[];
  verdicts: { name: string; ok: boolean; detail: string }[];
}

export async function soak(cycles: number, nodeArgs: string[] = []): Promise<SoakResult> {
  const runId = randomUUID();
  const dir = mkdtempSync(join(tmpdir(), 'bw-bench-soak-'));
  const file = join(dir, 'watchdog.config.json');
  writeFileSync(
    file,
    JSON.stringify({
      // The bot's main process and a helper in a session of its own (found only by the marker).
      command: ['sh', '-c', 'setsid sleep 3600 </dev/null >/dev/null 2>&1 & exec sleep 3600'],
      env: { [RUN_ENV]: runId },
      restart: { policy: 'always', initialDelay: 0, maxDelay: 0, factor: 1, jitter: 0, limit: { count: 0, window: 60_000 } },
      stop: { timeout: 2000 },
      log: { format: 'json', level: 'info' },
    }),
  );
  const watchdog = new WatchdogCli(['run', '--config', file], { nodeArgs });
  const samples: SoakSample[] = [];
  const started = performance.now();
  let exit: SoakResult['exit'] = { code: null, signal: null };
  let leftovers: number[] = [];
  let leftoverInfo: string[] = [];
  let tempFiles: string[] = [];
  try {
    let spawn = await watchdog.waitForEvent('child.spawn');
    for (let cycle = 1; cycle <= cycles; cycle++) {
      // Set up the wait before the signal: the next spawn may be logged before kill() returns.
      const next = watchdog.waitForEvent('child.spawn', (r) => r.pid !== spawn.pid);
      process.kill(watchdog.pid, 'SIGHUP');
      spawn = await next;
      if (cycle % SAMPLE_EVERY === 0 || cycle === cycles) {
        const { fds, scan: found } = await settle(watchdog.pid, runId, spawn.pid as number);
        samples.push({
          cycle,
          elapsedMs: performance.now() - started,
          rssMiB: (rssKb(watchdog.pid) ?? Number.NaN) / 1024,
          fds,
          fdTargets: fdTargets(watchdog.pid),
          ...found,
        });
      }
    }
  } finally {
    await watchdog.stop();
    exit = await watchdog.exited;
    // Whatever of this run is still alive is a leftover (and is killed here, so nothing stays).
    await delay(100);
    const left = allProcesses().filter((p) => p.state !== 'Z' && environValue(p.pid, RUN_ENV) === runId);
    leftovers = left.map((p) => p.pid);
    leftoverInfo = left.map((p) => `${p.pid} ${p.comm} (parent ${p.ppid}, state ${p.state}, tree ${environValue(p.pid, MARKER_ENV)?.slice(0, 8) ?? '?'})`);
    for (const pid of leftovers) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    try {
      tempFiles = readdirSync(join(dir, '.bot-watchdog')).filter((name) => name.includes('.tmp'));
    } catch {
      tempFiles = [];
    }
    rmSync(dir, { recursive: true, force: true });
  }
  const durationMs = performance.now() - started;
  return { samples, cycles, durationMs, exit, leftovers, leftoverInfo, tempFiles, verdicts: judge(samples, leftoverInfo, tempFiles, exit) };
}

/**
 * Cycles of warm-up before the RSS baseline: V8 grows its young generation (up to 2 × 16 MiB on
 * 64-bit) over the first couple of hundred restarts, which is sizing, not a leak.
 */
export function warmupCycles(cycles: number): number {
  return Math.min(WARMUP_CYCLES, Math.floor((cycles - 1) / SAMPLE_EVERY) * SAMPLE_EVERY);
}

function judge(samples: SoakSample[], leftovers: string[], tempFiles: string[], exit: SoakResult['exit']): SoakResult['verdicts'] {
  const cycles = samples[samples.length - 1]?.cycle ?? 0;
  const after = samples.filter((s) => s.cycle >= warmupCycles(cycles));
  const base = after[0];
  const last = samples[samples.length - 1];
  if (!base || !last || after.length < 2) return [{ name: 'samples', ok: false, detail: 'too few samples' }];
  // The end against the baseline: in between, the heap's high-water mark moves with GC timing.
  const growth = last.rssMiB - base.rssMiB;
  const peak = Math.max(...after.map((s) => s.rssMiB));
  const first = samples[0]!;
  const fdDiff = diff(first.fdTargets, last.fdTargets);
  const zombies = samples.reduce((n, s) => n + s.zombies, 0);
  const orphans = samples.flatMap((s) => s.orphans);
  const badChildren = samples.filter((s) => s.children !== 1 || s.tree !== 2);
  return [
    {
      name: `RSS grows under ${TARGET.rssGrowthMiB} MiB from cycle ${base.cycle} to the end`,
      ok: growth < TARGET.rssGrowthMiB,
      detail: `${base.rssMiB.toFixed(1)} → ${last.rssMiB.toFixed(1)} MiB (${growth >= 0 ? '+' : ''}${growth.toFixed(1)}; peak ${peak.toFixed(1)})`,
    },
    { name: `open fds back at cycle ${first.cycle}'s count`, ok: last.fds === first.fds, detail: `${first.fds} → ${last.fds}${fdDiff ? ` (${fdDiff})` : ''}` },
    { name: 'one child, one tree of 2 at every sample', ok: badChildren.length === 0, detail: badChildren.length ? `cycles ${badChildren.map((s) => s.cycle).join(', ')}` : 'yes' },
    { name: 'no zombie', ok: zombies === 0, detail: String(zombies) },
    {
      name: 'no orphan of an earlier tree',
      ok: orphans.length === 0,
      detail: orphans.length ? samples.flatMap((s) => s.orphanInfo.map((o) => `cycle ${s.cycle}: ${o}`)).join('; ') : 'none',
    },
    { name: 'after SIGTERM: nothing of any tree left', ok: leftovers.length === 0, detail: leftovers.join('; ') || 'none' },
    { name: 'no temp file left beside the state file', ok: tempFiles.length === 0, detail: tempFiles.join(', ') || 'none' },
    // The bot's `sleep` dies of the SIGTERM: the watchdog exits with 128 + 15, as documented.
    { name: 'watchdog exit code 143 (the bot\'s status)', ok: exit.code === 143, detail: String(exit.code ?? exit.signal) },
  ];
}

function diff(before: string[], after: string[]): string {
  const count = (list: string[]) => list.reduce((m, t) => m.set(t, (m.get(t) ?? 0) + 1), new Map<string, number>());
  const a = count(before);
  const b = count(after);
  const out: string[] = [];
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const delta = (b.get(key) ?? 0) - (a.get(key) ?? 0);
    if (delta !== 0) out.push(`${delta > 0 ? '+' : ''}${delta} ${key}`);
  }
  return out.join(', ');
}

export function formatSamples(samples: SoakSample[]): string {
  return markdownTable(
    ['cycle', 'elapsed s', 'RSS MiB', 'open fds', 'children', 'tree', 'zombies', 'orphans'],
    ['r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    samples.map((s) => [
      String(s.cycle),
      (s.elapsedMs / 1000).toFixed(1),
      s.rssMiB.toFixed(1),
      String(s.fds),
      String(s.children),
      String(s.tree),
      String(s.zombies),
      String(s.orphans.length),
    ]),
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const flag = process.argv.indexOf('--cycles');
  const cycles = flag > 0 ? Number(process.argv[flag + 1]) : 1000;
  if (!Number.isInteger(cycles) || cycles < SAMPLE_EVERY * 2) {
    console.error(`bench/soak: --cycles expects a whole number >= ${SAMPLE_EVERY * 2} (a baseline sample and one to compare)`);
    process.exit(2);
  }
  const load = loadavg()[0]!.toFixed(2);
  // Node flags for the watchdog, to compare (e.g. --node-args=--max-semi-space-size=2).
  const nodeArgs = process.argv.filter((a) => a.startsWith('--node-args=')).map((a) => a.slice('--node-args='.length));
  const result = await soak(cycles, nodeArgs);
  console.log(
    `${result.cycles} SIGHUP restart cycles of a 2-process tree in ${(result.durationMs / 1000).toFixed(1)} s ` +
      `(${(result.durationMs / result.cycles).toFixed(0)} ms per cycle; load average ${load} on ${availableParallelism()} cores)\n`,
  );
  console.log(formatSamples(result.samples));
  console.log();
  console.log(markdownTable(['check', 'result', ''], ['l', 'l', 'l'], result.verdicts.map((v) => [v.name, v.detail, v.ok ? 'pass' : '**FAIL**'])));
  const ok = result.verdicts.every((v) => v.ok);
  console.log(`\n${ok ? 'PASS' : 'FAIL'}`);
  if (!ok) process.exitCode = 1;
}
