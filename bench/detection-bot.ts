// Detection latency of the bot probes (issue 4), with the real CLI, real fixture bots and the fake
// Mirai: time from a fault to the watchdog's `child.stop` (its own log timestamp), several runs
// each; plus the cost of one link-probe sample of a 50-process tree.
// Run: npm run build && node --import tsx bench/detection-bot.ts [--runs N] [--scan-only]
// Exits 1 when a target is missed.
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { procAvailable, processStartTime, readProcTable } from '../src/process/proc-stat.js';
import { LinkSampler, type TreeConnection } from '../src/probes/link/link-probe.js';
import { TargetMatcher } from '../src/probes/link/target.js';
import { FakeMirai } from '../test/helpers/fake-mirai.js';
import type { LogRecord } from '../test/helpers/log-sink.js';
import { waitUntil } from '../test/helpers/wait.js';
import { fixture, runWatchdog, type WatchdogRun } from '../test/helpers/watchdog-process.js';
import { spawnTree } from '../test/process/spawn-tree.js';
import { markdownTable, summarize } from './lib/stats.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const KEY = 'bench-key';
const QQ = 123456789;
/** The windows the scenarios are configured with (ms). */
const GRACE = 2000;
const MAX_AGE = 2000;
const SILENCE = 2000;
const LINK_INTERVAL = 500;
const STARTUP_GRACE = 500;

interface ScenarioResult {
  name: string;
  faultText: string;
  target: string;
  times: number[];
  ok: (times: number[]) => boolean;
}

interface Scenario {
  name: string;
  faultText: string;
  reason: string;
  target: string;
  ok: (times: number[]) => boolean;
  config: (ctx: Context) => Record<string, unknown>;
  /** Waits until the bot of `spawn` is up and watched. */
  ready: (ctx: Context, run: WatchdogRun, spawn: LogRecord) => Promise<void>;
  /** Injects the fault; resolves with its time (Date.now()). */
  fault: (ctx: Context, run: WatchdogRun, spawn: LogRecord) => Promise<number>;
}

interface Context {
  fake: FakeMirai;
  dir: string;
}

const pythonBot = (ctx: Context) => ({
  command: ['python3', fixture('bots/qchatgpt_like.py')],
  env: { MIRAI_URL: ctx.fake.url, MIRAI_VERIFY_KEY: KEY, MIRAI_QQ: String(QQ), PYTHONUNBUFFERED: '1' },
});

/** The bot is linked, startup.grace is over and the link probe has had two samples since. */
async function linkedAndWatched(ctx: Context, spawn: LogRecord): Promise<void> {
  await waitUntil(() => ctx.fake.connections().length === 1, 30_000, 10);
  const watched = Date.parse(String(spawn.time)) + STARTUP_GRACE;
  await waitUntil(() => Date.now() >= watched && Date.now() - (ctx.fake.connections()[0]?.connectedAt.getTime() ?? 0) >= 2 * LINK_INTERVAL, 30_000, 10);
}

async function graceOver(spawn: LogRecord): Promise<void> {
  const over = Date.parse(String(spawn.time)) + STARTUP_GRACE;
  await waitUntil(() => Date.now() >= over + 100, 30_000, 10);
}

function freeze(spawn: LogRecord): number {
  const at = Date.now();
  process.kill(-(spawn.pid as number), 'SIGSTOP');
  return at;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'link loss',
    faultText: `the backend drops the bot's WebSocket (grace ${GRACE / 1000}s, interval ${LINK_INTERVAL}ms)`,
    reason: 'link-lost',
    target: `max ≤ grace + 1 s (${GRACE + 1000} ms)`,
    ok: (times) => Math.max(...times) <= GRACE + 1000,
    config: (ctx) => ({
      ...pythonBot(ctx),
      probes: { link: { target: `127.0.0.1:${ctx.fake.port}`, grace: GRACE, interval: LINK_INTERVAL } },
    }),
    ready: (ctx, _run, spawn) => linkedAndWatched(ctx, spawn),
    fault: async (ctx) => {
      const at = Date.now();
      ctx.fake.dropConnection();
      return at;
    },
  },
  {
    name: 'heartbeat stale',
    faultText: `the bot's tree is frozen with SIGSTOP (maxAge ${MAX_AGE / 1000}s, file touched every 200 ms)`,
    reason: 'heartbeat-stale',
    target: `max ≤ maxAge + 1 s (${MAX_AGE + 1000} ms)`,
    ok: (times) => Math.max(...times) <= MAX_AGE + 1000,
    config: (ctx) => ({
      command: [process.execPath, fixture('bots/heartbeat-bot.mjs'), join(ctx.dir, 'bot.log'), '200'],
      probes: { heartbeat: { file: join(ctx.dir, 'bot.log'), maxAge: MAX_AGE } },
    }),
    ready: async (_ctx, run, spawn) => {
      await run.waitForStdout(new RegExp(`heartbeat-bot: ready ${spawn.pid} `), 30_000);
      await graceOver(spawn);
    },
    fault: async (_ctx, _run, spawn) => freeze(spawn),
  },
  {
    name: 'output pattern',
    faultText: 'the backend drops the bot\'s WebSocket; it prints "WebSocket 通道意外关闭…"',
    reason: 'output-match',
    target: 'median < 200 ms',
    ok: (times) => summarize(times).medianMs < 200,
    config: (ctx) => ({ ...pythonBot(ctx), probes: { output: { patterns: ['WebSocket 通道意外关闭', '无法连接到 mirai'] } } }),
    ready: async (ctx, run, spawn) => {
      await waitUntil(() => ctx.fake.connections().length === 1, 30_000, 10);
      const spawns = run.logs().filter((r) => r.event === 'child.spawn').length;
      await waitUntil(() => run.stdout().split('bot: connected\n').length - 1 >= spawns, 30_000, 10);
      await graceOver(spawn);
    },
    fault: async (ctx) => {
      const at = Date.now();
      ctx.fake.dropConnection();
      return at;
    },
  },
  {
    name: 'output silence',
    faultText: `a bot printing every 50 ms is frozen with SIGSTOP (silence ${SILENCE / 1000}s)`,
    reason: 'output-silent',
    target: `max ≤ silence + 1 s (${SILENCE + 1000} ms)`,
    ok: (times) => Math.max(...times) <= SILENCE + 1000,
    config: () => ({ command: [process.execPath, fixture('bots/chatty.mjs'), '50', '0'], probes: { output: { silence: SILENCE } } }),
    ready: async (_ctx, run, spawn) => {
      await run.waitForStdout(new RegExp(`chatty: ready pid=${spawn.pid}\\n`), 30_000);
      await graceOver(spawn);
    },
    fault: async (_ctx, _run, spawn) => freeze(spawn),
  },
];

async function runScenario(scenario: Scenario, runs: number): Promise<ScenarioResult> {
  const fake = await FakeMirai.start({ verifyKey: KEY, bots: [QQ] });
  const dir = mkdtempSync(join(tmpdir(), 'bw-bench-'));
  const ctx: Context = { fake, dir };
  const file = join(dir, 'watchdog.config.json');
  writeFileSync(
    file,
    JSON.stringify({
      log: { format: 'json', level: 'info' },
      startup: { grace: STARTUP_GRACE },
      restart: { initialDelay: 50, maxDelay: 50, factor: 1, jitter: 0, limit: { count: 0, window: 60_000 } },
      ...scenario.config(ctx),
    }),
  );
  const run = runWatchdog(['run', '--config', file]);
  const times: number[] = [];
  try {
    const seen = new Set<number>();
    for (let i = 0; i < runs; i++) {
      const spawn = await run.waitForEvent('child.spawn', (r) => !seen.has(r.pid as number), 30_000);
      seen.add(spawn.pid as number);
      await scenario.ready(ctx, run, spawn);
      const faultAt = await scenario.fault(ctx, run, spawn);
      const stop = await run.waitForEvent('child.stop', (r) => r.pid === spawn.pid, 30_000);
      if (stop.reason !== scenario.reason) throw new Error(`${scenario.name}: stopped for ${String(stop.reason)}, not ${scenario.reason}`);
      times.push(Date.parse(String(stop.time)) - faultAt);
    }
  } finally {
    run.kill('SIGTERM');
    await run.exited;
    for (const spawn of run.logs().filter((r) => r.event === 'child.spawn')) {
      try {
        process.kill(-(spawn.pid as number), 'SIGKILL');
      } catch {
        // gone
      }
    }
    await fake.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return { name: scenario.name, faultText: scenario.faultText, target: scenario.target, times, ok: scenario.ok };
}

export interface ScanCost {
  path: string;
  samples: number;
  medianMs: number;
  maxMs: number;
}

/** Cost of one link-probe sample of a 50-process tree holding one connection, three ways. */
export async function benchScanCost(samples = 200): Promise<{ rows: ScanCost[]; processes: number; systemProcesses: number }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  // link-tree.mjs (holds the connection) + fan-out.sh 49 (a shell turned sleep and 48 sleeps) = 50.
  const tree = await spawnTree('../bots/link-tree.mjs', ['127.0.0.1', String(port), 'self', '49']);
  try {
    const root = { pid: tree.pids[0] as number, startTime: processStartTime(tree.pids[0] as number) as number };
    const matcher = await TargetMatcher.resolve([{ host: '127.0.0.1', port, from: 'bench' }]);
    const accept = (c: TreeConnection) => matcher.accepts(c.remoteAddress, c.remotePort);
    const never = () => false;
    const time = (fn: () => void): number[] => {
      const out: number[] = [];
      for (let i = 0; i < samples; i++) {
        const start = performance.now();
        fn();
        out.push(performance.now() - start);
      }
      return out;
    };
    const check = new LinkSampler({ root, marker: tree.marker }).sample(accept);
    if (check.kind !== 'ok' || !check.link || check.processes !== 50) {
      throw new Error(`scan-cost set-up: expected the link in a tree of 50, got ${JSON.stringify({ ...check, connections: undefined })}`);
    }
    const steady = new LinkSampler({ root, marker: tree.marker });
    const rows: [string, number[]][] = [
      // The floor: the kernel walks its whole TCP hash to dump the table (its size grows with memory).
      ['reading /proc/<pid>/net/tcp alone (the floor)', time(() => readFileSync(`/proc/${root.pid}/net/tcp`, 'latin1'))],
      ['full scan (tree found again, every fd table read), link found', time(() => new LinkSampler({ root, marker: tree.marker }).sample(accept))],
      ['full scan, no link (the path taken while the link is down)', time(() => new LinkSampler({ root, marker: tree.marker }).sample(never))],
      ['steady state (the process that held the link still holds it)', time(() => steady.sample(accept))],
    ];
    return {
      rows: rows.map(([path, times]) => ({ path, samples, ...summarize(times) })),
      processes: 50,
      systemProcesses: readProcTable().size,
    };
  } finally {
    await tree.cleanup();
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/**
 * Every sample under 10 ms (median), even one that scans the whole tree; the steady state (the
 * sample taken every interval while the link is up) adds under 1 ms to the kernel's dump of its
 * TCP table, which is the floor: the kernel walks its whole TCP hash, whose size grows with the
 * machine's memory (262 144 buckets on a 24 GB machine: 3–5 ms).
 */
export const SCAN_TARGET_MS = { sample: 10, steadyOverFloor: 1 };

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (!procAvailable()) {
    console.error('bench/detection-bot: needs Linux /proc');
    process.exit(1);
  }
  const runsFlag = process.argv.indexOf('--runs');
  const runs = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 7;
  let ok = true;

  const results: ScenarioResult[] = [];
  const scanOnly = process.argv.includes('--scan-only');
  for (const scenario of scanOnly ? [] : SCENARIOS) results.push(await runScenario(scenario, runs));
  if (!scanOnly) console.log(`Bot probes: fault → child.stop (the watchdog's log timestamp), ${runs} runs each\n`);
  if (!scanOnly) console.log(
    markdownTable(
      ['scenario', 'fault', 'median ms', 'max ms', 'target', 'met'],
      ['l', 'l', 'r', 'r', 'l', 'l'],
      results.map((r) => {
        const s = summarize(r.times);
        const met = r.ok(r.times);
        ok &&= met;
        return [r.name, r.faultText, s.medianMs.toFixed(0), s.maxMs.toFixed(0), r.target, met ? 'yes' : 'MISSED'];
      }),
    ),
  );

  const scan = await benchScanCost();
  console.log(`\nLink probe: cost of one sample of a ${scan.processes}-process tree (${scan.systemProcesses} processes on this machine)\n`);
  console.log(
    markdownTable(
      ['sample', 'samples', 'median ms', 'max ms'],
      ['l', 'r', 'r', 'r'],
      scan.rows.map((r) => [r.path, String(r.samples), r.medianMs.toFixed(2), r.maxMs.toFixed(2)]),
    ),
  );
  const full = scan.rows.slice(1, 3) as ScanCost[];
  const steady = scan.rows[3] as ScanCost;
  const floor = scan.rows[0] as ScanCost;
  const scanOk = full.every((r) => r.medianMs < SCAN_TARGET_MS.sample) && steady.medianMs - floor.medianMs < SCAN_TARGET_MS.steadyOverFloor;
  ok &&= scanOk;
  console.log(
    `\ntarget: every sample under ${SCAN_TARGET_MS.sample} ms (median), the steady state within ${SCAN_TARGET_MS.steadyOverFloor} ms of the kernel's own table dump — ${scanOk ? 'met' : 'MISSED'}`,
  );
  if (!ok) process.exitCode = 1;
}
