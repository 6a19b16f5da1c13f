// Start-to-exit time of a one-shot `bot-watchdog check` (the real CLI, built code), against
// `node -e 0` as the floor: what Docker HEALTHCHECK, a Kubernetes exec probe or cron pay per run.
// Run: npm run build && node --import tsx bench/check.ts [--runs N]   (exits 1 if the target is missed)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * A check (nothing cached: every run reads and validates its config) takes at most 1.3× `node -e 0` (median).
 * Rows without a target break the gap down: what an empty ES module, a one-command commander CLI
 * and `bot-watchdog --version` (commander and the CLI's definition, nothing else) cost on the same
 * machine in the same runs — the floor any ES-module CLI on commander starts from.
 */
export const TARGET = { floorRatio: 1.3 };
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 && Number(process.argv[runsArg + 1]) > 0 ? Number(process.argv[runsArg + 1]) : 15;
const BIN = fileURLToPath(new URL('../bin/bot-watchdog.js', import.meta.url));

export interface CheckBenchRow {
  name: string;
  runs: number;
  /** Mean CPU time (user + system) per run, from /proc/self/stat's children times; load barely changes it. */
  cpuMs: number | undefined;
  medianMs: number;
  minMs: number;
  maxMs: number;
  /** Whether TARGET applies to this row. */
  target: boolean;
  /** Median over the floor's median (1 for the floor). */
  ratio: number;
  /** Mean CPU time over the floor's (1 for the floor), when CPU times are known. */
  cpuRatio: number | undefined;
}

interface Project {
  dir: string;
  config: string;
}

/** A bot folder with a fresh heartbeat file and a config; `extra` is merged into the config. */
function project(extra: Record<string, unknown> = {}): Project {
  const dir = mkdtempSync(join(tmpdir(), 'bw-bench-check-'));
  const config = join(dir, 'watchdog.config.json');
  writeFileSync(join(dir, 'bot.log'), 'alive\n');
  writeFileSync(config, JSON.stringify({ command: ['python3', 'main.py'], probes: { heartbeat: { file: 'bot.log', maxAge: '90s' } }, ...extra }));
  return { dir, config };
}

/** CPU time of this process's waited-for children so far, in ms (Linux); undefined elsewhere. */
function childrenCpuMs(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // cutime and cstime are fields 16 and 17 of stat(5), in clock ticks.
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;

interface Sample {
  wallMs: number;
  cpuMs: number | undefined;
}

function time(args: string[], cwd: string): Sample {
  const cpuBefore = childrenCpuMs();
  const start = performance.now();
  const run = spawnSync(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const wallMs = performance.now() - start;
  const cpuAfter = childrenCpuMs();
  if (run.status !== 0) throw new Error(`node ${args.join(' ')} exited ${run.status}: ${run.stdout}${run.stderr}`);
  return { wallMs, cpuMs: cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore };
}

function row(name: string, samples: Sample[], floor: CheckBenchRow | undefined, target = false): CheckBenchRow {
  const sorted = samples.map((s) => s.wallMs).sort((a, b) => a - b);
  const cpu = samples.every((s) => s.cpuMs !== undefined) ? samples.reduce((sum, s) => sum + s.cpuMs!, 0) / samples.length : undefined;
  const medianMs = sorted[sorted.length >> 1]!;
  const floorCpu = floor ? floor.cpuMs : cpu;
  return {
    name,
    runs: samples.length,
    cpuMs: cpu,
    medianMs,
    minMs: sorted[0]!,
    maxMs: sorted[sorted.length - 1]!,
    target,
    ratio: medianMs / (floor?.medianMs ?? medianMs),
    cpuRatio: cpu === undefined || !floorCpu ? undefined : cpu / floorCpu,
  };
}

/** The floor's parts: an empty ES module, and a one-command CLI on the repo's commander (ESM, as bin/ is). */
function floorScripts(dir: string): { emptyModule: string; commanderCli: string } {
  const emptyModule = join(dir, 'empty.mjs');
  const commanderCli = join(dir, 'commander-cli.mjs');
  writeFileSync(emptyModule, '');
  const commander = fileURLToPath(new URL('../node_modules/commander/index.js', import.meta.url));
  writeFileSync(
    commanderCli,
    `import { createRequire } from 'node:module';\n` +
      `const { Command } = createRequire(import.meta.url)(${JSON.stringify(commander)});\n` +
      `const program = new Command().name('cli').version('1.0.0');\n` +
      `program.command('check').option('--only <probe>').action(() => {});\n` +
      `program.parse(process.argv);\n`,
  );
  return { emptyModule, commanderCli };
}

/** Runs the floor and the checks in turn, run by run, so that all see the same machine load. */
export function benchCheck(runs = RUNS): CheckBenchRow[] {
  const plain = project();
  // QChatGPT's setup: Mirai as the backend, the bot's log as its heartbeat.
  const qchatgpt = project({ backend: { kind: 'mirai', url: 'http://127.0.0.1:8080', verifyKey: 'yirimirai', qq: 123456789 } });
  try {
    const check = (p: Project) => [BIN, 'check', '--config', p.config, '--only', 'heartbeat'];
    const { emptyModule, commanderCli } = floorScripts(plain.dir);
    const runsOf: Array<{ name: string; args: string[]; cwd: string; target: boolean; samples: Sample[] }> = [
      { name: '`node -e 0` (the floor)', args: ['-e', '0'], cwd: plain.dir, target: false, samples: [] },
      { name: 'an empty ES module (`node empty.mjs`)', args: [emptyModule], cwd: plain.dir, target: false, samples: [] },
      { name: 'commander, a one-command ES-module CLI, `--version`', args: [commanderCli, '--version'], cwd: plain.dir, target: false, samples: [] },
      { name: '`bot-watchdog --version` (commander and the CLI, no command run)', args: [BIN, '--version'], cwd: plain.dir, target: false, samples: [] },
      { name: '`check --only heartbeat`, config with a heartbeat only', args: check(plain), cwd: plain.dir, target: true, samples: [] },
      { name: '`check --only heartbeat`, QChatGPT config (Mirai backend + heartbeat)', args: check(qchatgpt), cwd: qchatgpt.dir, target: true, samples: [] },
    ];
    // Warm the machine's file cache; nothing of bot-watchdog's is cached between runs.
    for (const r of runsOf) time(r.args, r.cwd);
    for (let i = 0; i < runs; i++) for (const r of runsOf) r.samples.push(time(r.args, r.cwd));
    const floorRow = row(runsOf[0]!.name, runsOf[0]!.samples, undefined);
    return [floorRow, ...runsOf.slice(1).map((r) => row(r.name, r.samples, floorRow, r.target))];
  } finally {
    rmSync(plain.dir, { recursive: true, force: true });
    rmSync(qchatgpt.dir, { recursive: true, force: true });
  }
}

export function formatTable(rows: CheckBenchRow[]): string {
  const lines = [
    '| run | runs | median ms | × the floor | min ms | max ms | CPU ms (mean) | CPU × the floor | target |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of rows) {
    const over = r === rows[0] ? '' : r.ratio.toFixed(2);
    const target = r.target ? `at most ${TARGET.floorRatio}×: ${r.ratio <= TARGET.floorRatio ? 'met' : 'MISSED'}` : '';
    const cpu = r.cpuMs === undefined ? '' : r.cpuMs.toFixed(0);
    const cpuOver = r === rows[0] || r.cpuRatio === undefined ? '' : r.cpuRatio.toFixed(2);
    lines.push(`| ${r.name} | ${r.runs} | ${r.medianMs.toFixed(0)} | ${over} | ${r.minMs.toFixed(0)} | ${r.maxMs.toFixed(0)} | ${cpu} | ${cpuOver} | ${target} |`);
  }
  return lines.join('\n');
}

export function meetsTarget(rows: CheckBenchRow[]): boolean {
  return rows.filter((r) => r.target).every((r) => r.ratio <= TARGET.floorRatio);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const before = loadavg()[0]!;
  const rows = benchCheck();
  const after = loadavg()[0]!;
  console.log(`Start-to-exit time of a one-shot check, spawned as a health check would (node ${process.version}, ${RUNS} runs each)\n`);
  console.log(formatTable(rows));
  const ok = meetsTarget(rows);
  console.log(`\ntarget: a check's median start-to-exit time is at most ${TARGET.floorRatio}× \`node -e 0\`'s — ${ok ? 'met' : 'MISSED'}`);
  const cores = availableParallelism();
  const load = Math.max(before, after);
  if (load > cores) console.log(`note: load average ${load.toFixed(1)} on ${cores} cores during the run: every row, the floor too, is slowed; compare each row with the floor`);
  if (!ok) process.exitCode = 1;
}
