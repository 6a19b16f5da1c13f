// Start-to-exit time of a one-shot `bot-watchdog check` (the real CLI, built code), against
// `node -e 0` as the floor: what Docker HEALTHCHECK, a Kubernetes exec probe or cron pay per run.
// Run: npm run build && node --import tsx bench/check.ts   (exits 1 if the target is missed)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cacheFileFor } from '../src/config/config-cache.js';
import { loadConfig } from '../src/config/load-config.js';
import { buildProbes } from '../src/probes/build-probes.js';
import { identityOf } from '../src/state/identity.js';
import { writeStateFile } from '../src/state/state-file.js';

/** A heartbeat-only check must exit within 150 ms (median). */
export const TARGET = { medianMs: 150 };
const RUNS = 15;
const BIN = fileURLToPath(new URL('../bin/bot-watchdog.js', import.meta.url));

export interface CheckBenchRow {
  name: string;
  command: string;
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
}

/**
 * A project folder for the check: a heartbeat file when the heartbeat probe exists; otherwise the
 * state file of a live "watchdog" (this process) for the bot-process probe.
 */
async function setUp(): Promise<{ dir: string; config: string; probe: string; cleanup: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'bw-bench-check-'));
  const config = join(dir, 'watchdog.config.json');
  writeFileSync(join(dir, 'heartbeat'), 'alive');
  writeFileSync(config, JSON.stringify({ command: ['python3', 'main.py'], probes: { heartbeat: { file: 'heartbeat', maxAge: '90s' } } }));
  const resolved = loadConfig({ configFile: config });
  let probe = 'heartbeat';
  if (!(await buildProbes(resolved)).some((p) => p.name === 'heartbeat')) {
    probe = 'bot-process';
    const me = identityOf(process.pid);
    const at = new Date().toISOString();
    writeStateFile(resolved.state.file, {
      version: 1,
      updatedAt: at,
      watchdog: { ...me, startedAt: at, version: 'bench', configFile: config },
      state: 'running',
      bot: { ...me, startedAt: at, marker: { name: 'BOT_WATCHDOG_TREE', value: 'bench' }, command: ['python3', 'main.py'] },
      restarts: 0,
      lastRestart: null,
      lastExit: null,
      probes: {},
    });
  }
  return { dir, config, probe, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function time(args: string[], cwd: string): number {
  const start = performance.now();
  const run = spawnSync(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const elapsed = performance.now() - start;
  if (run.status !== 0) throw new Error(`node ${args.join(' ')} exited ${run.status}: ${run.stdout}${run.stderr}`);
  return elapsed;
}

function row(name: string, command: string, times: number[]): CheckBenchRow {
  const sorted = [...times].sort((a, b) => a - b);
  return { name, command, runs: times.length, medianMs: sorted[sorted.length >> 1]!, minMs: sorted[0]!, maxMs: sorted[sorted.length - 1]! };
}

/** Runs the floor and the check alternately, so both see the same machine load. */
export async function benchCheck(runs = RUNS): Promise<{ rows: CheckBenchRow[]; probe: string }> {
  const project = await setUp();
  try {
    const check = [BIN, 'check', '--config', project.config, '--only', project.probe];
    const cache = cacheFileFor({ configFile: project.config, cwd: project.dir });
    const floor: number[] = [];
    const warm: number[] = [];
    const cold: number[] = [];
    time(check, project.dir); // the first run after a config change validates it and fills the cache
    for (let i = 0; i < runs; i++) {
      floor.push(time(['-e', '0'], project.dir));
      warm.push(time(check, project.dir));
    }
    for (let i = 0; i < Math.ceil(runs / 3); i++) {
      rmSync(cache, { force: true });
      cold.push(time(check, project.dir));
    }
    return {
      probe: project.probe,
      rows: [
        row('floor', 'node -e 0', floor),
        row(`check (${project.probe} only)`, `bot-watchdog check --only ${project.probe}`, warm),
        row('check, config changed (cache miss: zod validates)', `same, first run after a config change`, cold),
      ],
    };
  } finally {
    project.cleanup();
  }
}

export function formatTable(rows: CheckBenchRow[]): string {
  const floor = rows[0]!.medianMs;
  const lines = ['| run | median ms | over floor ms | min ms | max ms | runs |', '|---|---:|---:|---:|---:|---:|'];
  for (const r of rows) {
    const over = r === rows[0] ? '' : (r.medianMs - floor).toFixed(1);
    lines.push(`| ${r.name} | ${r.medianMs.toFixed(1)} | ${over} | ${r.minMs.toFixed(1)} | ${r.maxMs.toFixed(1)} | ${r.runs} |`);
  }
  return lines.join('\n');
}

export function meetsTarget(rows: CheckBenchRow[]): boolean {
  return rows[1] !== undefined && rows[1].medianMs < TARGET.medianMs;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { rows, probe } = await benchCheck();
  console.log(`Start-to-exit time of \`bot-watchdog check --only ${probe}\`, spawned like a health check (node ${process.version})\n`);
  console.log(formatTable(rows));
  const ok = meetsTarget(rows);
  console.log(`\ntarget: ${probe}-only check median under ${TARGET.medianMs} ms — ${ok ? 'met' : 'MISSED'}`);
  if (probe !== 'heartbeat') console.log('(the heartbeat probe is not built yet: measured with the bot-process probe, which reads the state file)');
  if (!ok) process.exitCode = 1;
}
