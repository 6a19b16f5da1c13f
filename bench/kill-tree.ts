// Kill time of a whole tree that obeys SIGTERM, from the call until its last process is gone:
// killTree (one /proc scan + group + marker) against tree-kill alone (one `ps` per process).
// Run: node --import tsx bench/kill-tree.ts   (exits 1 if killTree misses its target)
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import treeKill from 'tree-kill';
import { killTree } from '../src/process/kill-tree.js';
import { isSameProcess, procAvailable } from '../src/process/proc-stat.js';
import { spawnTree, type SpawnedTree } from '../test/process/spawn-tree.js';

export interface KillTreeBenchRow {
  processes: number;
  tool: 'killTree' | 'tree-kill';
  runs: number;
  medianMs: number;
  maxMs: number;
}

/** killTree must stop 100 processes in under 100 ms (median). */
export const TARGET = { processes: 100, medianMs: 100 };
const SIZES = [1, 10, 100];
/** tree-kill is given this long to finish a tree before the run counts as failed. */
const GIVE_UP_MS = 10_000;

const alive = (tree: SpawnedTree): boolean => tree.pids.some((pid) => isSameProcess(pid, tree.startTimes.get(pid)!));

async function timeKillTree(tree: SpawnedTree): Promise<number> {
  const root = { pid: tree.pids[0]!, startTime: tree.startTimes.get(tree.pids[0]!) };
  const start = performance.now();
  await killTree(root, { signal: 'SIGTERM', timeout: 5000, marker: tree.marker });
  const elapsed = performance.now() - start;
  if (alive(tree)) throw new Error('killTree resolved with processes of the tree alive');
  return elapsed;
}

async function timeTreeKill(tree: SpawnedTree): Promise<number> {
  const start = performance.now();
  treeKill(tree.pids[0]!, 'SIGTERM');
  while (alive(tree)) {
    if (performance.now() - start > GIVE_UP_MS) return Infinity;
    await delay(1);
  }
  return performance.now() - start;
}

function row(processes: number, tool: KillTreeBenchRow['tool'], times: number[]): KillTreeBenchRow {
  const sorted = [...times].sort((a, b) => a - b);
  return { processes, tool, runs: times.length, medianMs: sorted[sorted.length >> 1]!, maxMs: sorted[sorted.length - 1]! };
}

/** Alternates the two tools run by run, so both see the same machine load. */
export async function benchKillTree(runs = 7): Promise<KillTreeBenchRow[]> {
  const rows: KillTreeBenchRow[] = [];
  for (const processes of SIZES) {
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let run = 0; run < runs; run++) {
      for (const [time, into] of [[timeKillTree, ours], [timeTreeKill, theirs]] as const) {
        const tree = await spawnTree('fan-out.sh', [String(processes)]);
        try {
          into.push(await time(tree));
        } finally {
          await tree.cleanup();
        }
      }
    }
    rows.push(row(processes, 'killTree', ours), row(processes, 'tree-kill', theirs));
  }
  return rows;
}

export function formatTable(rows: KillTreeBenchRow[]): string {
  const ms = (value: number): string => (Number.isFinite(value) ? value.toFixed(1) : `> ${GIVE_UP_MS}`);
  const lines = [
    '| processes | killTree median ms | killTree max ms | tree-kill median ms | tree-kill max ms |',
    '|---:|---:|---:|---:|---:|',
  ];
  for (const processes of SIZES) {
    const ours = rows.find((r) => r.processes === processes && r.tool === 'killTree');
    const theirs = rows.find((r) => r.processes === processes && r.tool === 'tree-kill');
    if (!ours || !theirs) continue;
    lines.push(`| ${processes} | ${ms(ours.medianMs)} | ${ms(ours.maxMs)} | ${ms(theirs.medianMs)} | ${ms(theirs.maxMs)} |`);
  }
  return lines.join('\n');
}

export function meetsTarget(rows: KillTreeBenchRow[]): boolean {
  const ours = rows.find((r) => r.processes === TARGET.processes && r.tool === 'killTree');
  return ours !== undefined && ours.medianMs < TARGET.medianMs;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (!procAvailable()) {
    console.error('bench/kill-tree: needs Linux /proc');
    process.exit(1);
  }
  const runs = 7;
  const rows = await benchKillTree(runs);
  console.log(`Kill time of a tree obeying SIGTERM, call → last process gone (${runs} runs each)\n`);
  console.log(formatTable(rows));
  const ok = meetsTarget(rows);
  console.log(`\ntarget: ${TARGET.processes} processes in under ${TARGET.medianMs} ms median — ${ok ? 'met' : 'MISSED'}`);
  if (!ok) process.exitCode = 1;
}
