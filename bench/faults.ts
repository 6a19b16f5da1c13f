// The long rows of the fault matrix (README "Fault matrix"), too slow for the test suite:
//  1. the bot floods its output at 100 MiB/s for 10 s: the watchdog passes it through byte for
//     byte (sha-256 against the same fixture run alone), its RSS sampled every 100 ms stays flat;
//  2. the backend (the fake Mirai) dies and returns after 10 s: the bot is stopped once, nothing is
//     started while the backend is away, a fresh bot is connected soon after it returns, never a
//     give-up, no process of the old tree left.
// Real processes: the built CLI, fixture bots, the fake Mirai. Prints one table with pass/fail.
// Run: npm run build && node --import tsx bench/faults.ts   (exits 1 if a row fails)
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { FakeMirai } from '../test/helpers/fake-mirai.js';
import { fixture, runWatchdog, type WatchdogRun } from '../test/helpers/watchdog-process.js';

export interface FaultBenchRow {
  fault: string;
  measured: string;
  target: string;
  pass: boolean;
}

const FLOOD = { mib: 1000, mibPerSecond: 100 };
/** RSS may grow by at most this much over the run (a watchdog that held the flood would grow by ~1 GB). */
const FLOOD_RSS_GROWTH_KB = 40 * 1024;
/** 10 s at the bot's pace, with room for a loaded machine: the relay must keep up, not throttle the bot. */
const FLOOD_MAX_SECONDS = 15;
const OUTAGE_MS = 10_000;
/** From the backend's return to a fresh bot connected (probe interval 1 s). */
const RETURN_TARGET_MS = 5000;
const KEY = 'bench-verify-key';
const QQ = 123456789;

function configFile(config: Record<string, unknown>): { file: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'bw-bench-faults-'));
  const file = join(dir, 'watchdog.config.json');
  writeFileSync(file, JSON.stringify({ log: { format: 'json', level: 'info' }, restart: { initialDelay: '50ms', maxDelay: '200ms', jitter: 0 }, stop: { timeout: '3s' }, ...config }));
  return { file, dir };
}

function rssKb(pid: number): number | undefined {
  try {
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  } catch {
    return undefined;
  }
}

/** sha-256 and length of the fixture's bytes, run alone (no watchdog). */
async function directHash(args: string[]): Promise<{ sha: string; bytes: number }> {
  const child = spawn(process.execPath, [fixture('bots/flood-bytes.mjs'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const hash = createHash('sha256');
  let bytes = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    hash.update(chunk);
  });
  await new Promise((resolve) => child.on('close', resolve));
  return { sha: hash.digest('hex'), bytes };
}

export async function floodRow(): Promise<FaultBenchRow> {
  const expected = await directHash([String(FLOOD.mib)]);
  const { file, dir } = configFile({
    command: [process.execPath, fixture('bots/flood-bytes.mjs'), String(FLOOD.mib), String(FLOOD.mibPerSecond)],
    restart: { policy: 'never' },
    probes: { output: { patterns: ['FATAL never printed'] } },
  });
  const run = runWatchdog(['run', '--config', file]);
  run.child.stdout!.removeAllListeners('data'); // the helper keeps text; hash the bytes instead
  run.child.stdout!.setEncoding('latin1' as BufferEncoding);
  const hash = createHash('sha256');
  let bytes = 0;
  run.child.stdout!.on('data', (chunk: string) => {
    const buffer = Buffer.from(chunk, 'latin1');
    bytes += buffer.length;
    hash.update(buffer);
  });
  const samples: number[] = [];
  const sampler = setInterval(() => {
    const kb = rssKb(run.pid);
    if (kb) samples.push(kb);
  }, 100);
  await run.waitForEvent('child.spawn');
  const baseline = rssKb(run.pid) ?? 0;
  const started = Date.now();
  const { code } = await run.exited;
  const seconds = (Date.now() - started) / 1000;
  clearInterval(sampler);
  rmSync(dir, { recursive: true, force: true });
  const exact = bytes === expected.bytes && hash.digest('hex') === expected.sha;
  const peak = Math.max(baseline, ...samples);
  const growth = peak - baseline;
  const pass = code === 0 && exact && growth < FLOOD_RSS_GROWTH_KB && seconds <= FLOOD_MAX_SECONDS;
  return {
    fault: `bot floods its output: ${FLOOD.mibPerSecond} MiB/s for ${FLOOD.mib / FLOOD.mibPerSecond} s`,
    measured: `${(bytes / 1048576).toFixed(0)} MiB in ${seconds.toFixed(1)} s, ${exact ? 'byte-exact' : 'NOT byte-exact'}; RSS ${(baseline / 1024).toFixed(0)} → peak ${(peak / 1024).toFixed(0)} MB (+${(growth / 1024).toFixed(1)} MB, ${samples.length} samples); exit ${code}`,
    target: `byte-exact, RSS +< ${FLOOD_RSS_GROWTH_KB / 1024} MB, ≤ ${FLOOD_MAX_SECONDS} s, exit 0`,
    pass,
  };
}

const events = (run: WatchdogRun, event: string) => run.logs().filter((r) => r.event === event);
const count = (text: string, pattern: RegExp) => text.match(new RegExp(pattern.source, 'g'))?.length ?? 0;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function backendReturnsRow(): Promise<FaultBenchRow> {
  const fake = await FakeMirai.start({ verifyKey: KEY, bots: [QQ] });
  const { file, dir } = configFile({
    command: [process.execPath, fixture('bots/mirai-js-bot.mjs')],
    env: { MIRAI_URL: fake.url, MIRAI_VERIFY_KEY: KEY, MIRAI_QQ: String(QQ), BOT_KEEPALIVE_SECONDS: '60' },
    backend: { kind: 'mirai', url: fake.url, verifyKey: KEY, qq: QQ },
    probes: { backend: { interval: '1s', timeout: '2s', failureThreshold: 2 }, websocket: { pingInterval: '1s', pongTimeout: '3s' } },
    restart: { initialDelay: '50ms', maxDelay: '200ms', jitter: 0, limit: { count: 1, window: '10m' } },
  });
  const run = runWatchdog(['run', '--config', file]);
  const problems: string[] = [];
  let returnMs = Infinity;
  try {
    await run.waitForStdout(/bot: connected/, 30_000);
    const first = events(run, 'child.spawn')[0]!.pid as number;
    await fake.fault('refuse');
    await run.waitForEvent('child.stop', (r) => r.reason === 'backend-down', 30_000);
    await delay(OUTAGE_MS);
    if (events(run, 'child.spawn').length !== 1) problems.push('a bot was started while the backend was away');
    if (alive(first)) problems.push('the old bot still runs');
    const back = Date.now();
    await fake.clearFaults();
    await run.waitForEvent('child.spawn', (r) => r.pid !== first, 30_000);
    const deadline = Date.now() + 30_000;
    while (count(run.stdout(), /bot: connected/) < 2 && Date.now() < deadline) await delay(20);
    if (count(run.stdout(), /bot: connected/) >= 2) returnMs = Date.now() - back;
    else problems.push('no fresh bot connected within 30 s');
    if (events(run, 'restart.giveup').length > 0) problems.push('gave up');
    if (events(run, 'child.spawn').length !== 2) problems.push(`${events(run, 'child.spawn').length} spawns`);
  } catch (err) {
    problems.push((err as Error).message.split('\n')[0]!);
  } finally {
    run.kill('SIGTERM');
    await run.exited;
    await fake.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const downs = events(run, 'backend.down').length;
  if (downs !== 1) problems.push(`${downs} backend.down lines`);
  return {
    fault: `backend dies and returns after ${OUTAGE_MS / 1000} s`,
    measured: `${Number.isFinite(returnMs) ? `fresh bot connected ${(returnMs / 1000).toFixed(1)} s after the return` : 'never'}; ${problems.length ? problems.join('; ') : 'one stop, no start while down, 2 bots in all, no give-up, one backend.down'}`,
    target: `connected ≤ ${RETURN_TARGET_MS / 1000} s after the return; one stop; nothing started while down`,
    pass: problems.length === 0 && returnMs <= RETURN_TARGET_MS,
  };
}

export function formatTable(rows: FaultBenchRow[]): string {
  return ['| fault | measured | target | result |', '|---|---|---|---|', ...rows.map((r) => `| ${r.fault} | ${r.measured} | ${r.target} | ${r.pass ? 'pass' : 'FAIL'} |`)].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = [await floodRow(), await backendReturnsRow()];
  console.log(formatTable(rows));
  if (rows.some((r) => !r.pass)) process.exit(1);
}
