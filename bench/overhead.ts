// Idle cost of the watchdog with a QChatGPT config (mirai backend with its WebSocket link and
// polls, the heartbeat file, the link probe, output patterns) while its bot runs healthy, on its
// first start after the config was written (nothing cached): CPU % of one core over the window
// (utime + stime from /proc/<pid>/stat), RSS (VmRSS, sampled every second), PSS (smaps_rollup)
// and private memory (RssAnon), side by side with pm2-runtime running the same bot, `sleep` under
// `tini` (the floor: what an init costs) and a bare idle `node`.
// With --flood, also what the node flags compared cost under a 300 MiB output flood.
// Run: npm run build && node --import tsx bench/overhead.ts [--seconds 60] [--flood]   (exits 1 if a target is missed)
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FakeBackendProcess } from './lib/fake-backend-process-client.js';
import { cpuMs, pssKb, rssAnonKb, rssKb } from './lib/proc-sample.js';
import { markdownTable } from './lib/stats.js';
import { ensureDebian, ensurePm2 } from './lib/tools.js';
import { WatchdogCli } from './lib/watchdog-cli.js';

/** Idle targets of the watchdog process: CPU (issue 11); private memory at most pm2-runtime's, measured in the same run (issue 15). */
export const TARGET = { cpuPercent: 0.5 };
const KEY = 'bench-verify-key';
const QQ = 123456789;
const BOT = fileURLToPath(new URL('../test/fixtures/bots/qchatgpt_like.py', import.meta.url));
/** What Node itself costs for the watchdog's idle I/O (a child, an HTTP poll, a ws link, /proc reads). */
const SAME_IO = fileURLToPath(new URL('./lib/same-io.cjs', import.meta.url));
/** After the bot links: startup.grace (5 s) is over and the probes run at their steady pace. */
const WARMUP_MS = 8000;

export interface OverheadRow {
  name: string;
  pid: number;
  cpuPercent: number;
  rssMiB: number;
  maxRssMiB: number;
  /** RssAnon at the end: the RSS minus file pages (node's own binary) shared with every node process. */
  anonMiB: number;
  /** PSS at the end: private pages plus this process's share of each shared page. */
  pssMiB: number;
}

export interface Subject {
  name: string;
  pid: number;
}

/** CPU % of one core and RSS of each subject over `seconds`, all sampled over the same window. */
export async function measure(subjects: Subject[], seconds: number): Promise<OverheadRow[]> {
  const start = performance.now();
  const cpuStart = subjects.map((s) => cpuMs(s.pid));
  const rss = subjects.map(() => [] as number[]);
  for (let t = 0; t < seconds; t++) {
    await delay(Math.max(0, start + (t + 1) * 1000 - performance.now()));
    subjects.forEach((s, i) => {
      const kb = rssKb(s.pid);
      if (kb === undefined) throw new Error(`${s.name} (pid ${s.pid}) exited during the window`);
      rss[i]!.push(kb / 1024);
    });
  }
  const wallMs = performance.now() - start;
  return subjects.map((s, i) => {
    const used = (cpuMs(s.pid) ?? Number.NaN) - (cpuStart[i] ?? Number.NaN);
    const samples = rss[i]!;
    return {
      name: s.name,
      pid: s.pid,
      cpuPercent: (used / wallMs) * 100,
      rssMiB: samples[samples.length - 1]!,
      maxRssMiB: Math.max(...samples),
      anonMiB: (rssAnonKb(s.pid) ?? Number.NaN) / 1024,
      pssMiB: (pssKb(s.pid) ?? Number.NaN) / 1024,
    };
  });
}

/** The QChatGPT-shaped bot's environment: linked to the fake Mirai, touching a heartbeat file in `dir`. */
function botEnv(miraiUrl: string, dir: string): Record<string, string> {
  return { PYTHONUNBUFFERED: '1', MIRAI_URL: miraiUrl, MIRAI_VERIFY_KEY: KEY, MIRAI_QQ: String(QQ), BOT_HEARTBEAT_FILE: join(dir, 'qchatgpt.log') };
}

/** The QChatGPT recipe's config (README), pointed at the fake Mirai and a heartbeat file in `dir`. */
export function qchatgptConfig(miraiUrl: string, dir: string): Record<string, unknown> {
  const heartbeat = join(dir, 'qchatgpt.log');
  return {
    command: ['python3', BOT],
    env: botEnv(miraiUrl, dir),
    backend: { kind: 'mirai', url: miraiUrl, verifyKey: KEY, qq: QQ },
    probes: {
      output: { patterns: ['WebSocket 通道意外关闭', '无法连接到 mirai'] },
      link: { grace: '30s' },
      heartbeat: { file: heartbeat, maxAge: '90s' },
    },
    startup: { grace: '5s' },
    log: { format: 'json', level: 'info' },
  };
}

function spawnIdle(command: string, args: string[]): ChildProcess {
  return spawn(command, args, { stdio: 'ignore' });
}

/** The watchdog runs measured side by side, each the first start after its config was written; the first is the one the target applies to. */
const WATCHDOGS: { name: string; nodeArgs: string[] }[] = [
  { name: 'bot-watchdog (the target)', nodeArgs: [] },
  { name: 'bot-watchdog under `node --max-semi-space-size=1`', nodeArgs: ['--max-semi-space-size=1'] },
];
const PM2_ROW = 'pm2-runtime running the same bot (`pm2-runtime start bot.py --interpreter python3`)';

export async function benchOverhead(seconds: number): Promise<{ rows: OverheadRow[]; restarts: number; notes: string[] }> {
  const notes: string[] = [];
  const fake = await FakeBackendProcess.start('mirai', { verifyKey: KEY, bots: [QQ] });
  const dirs: string[] = [];
  const watchdogs: WatchdogCli[] = [];
  const idle: ChildProcess[] = [];
  try {
    const subjects: Subject[] = [];
    for (const spec of WATCHDOGS) {
      const dir = mkdtempSync(join(tmpdir(), 'bw-bench-overhead-'));
      dirs.push(dir);
      const file = join(dir, 'watchdog.config.json');
      writeFileSync(file, JSON.stringify(qchatgptConfig(fake.url, dir)));
      const watchdog = new WatchdogCli(['run', '--config', file], { nodeArgs: spec.nodeArgs });
      watchdogs.push(watchdog);
      await watchdog.waitForEvent('child.spawn');
      subjects.push({ name: spec.name, pid: watchdog.pid });
    }
    let linked = 2 * WATCHDOGS.length;
    const pm2 = ensurePm2();
    if (pm2) {
      const dir = mkdtempSync(join(tmpdir(), 'bw-bench-overhead-pm2-'));
      dirs.push(dir);
      const runtime = spawn(join(dirname(pm2), 'pm2-runtime'), ['start', BOT, '--name', 'bot', '--interpreter', 'python3'], {
        cwd: dir,
        stdio: 'ignore',
        env: { ...process.env, ...botEnv(fake.url, dir), PM2_HOME: join(dir, 'pm2') },
      });
      idle.push(runtime);
      subjects.push({ name: PM2_ROW, pid: runtime.pid as number });
      linked += 1;
    } else {
      notes.push('pm2 could not be installed: no pm2-runtime row');
    }
    // Each watchdog's own link (/event) and its bot's (/all), and pm2's bot's.
    for (let i = 0; (await fake.connections()).length < linked; i++) {
      if (i > 300) throw new Error(`the bots never linked to the fake Mirai: ${JSON.stringify(await fake.connections())}`);
      await delay(100);
    }
    const tini = ensureDebian('tini', 'tini');
    if (tini) {
      const floor = spawnIdle(tini, ['-s', '--', 'sleep', '100000']);
      idle.push(floor);
      subjects.push({ name: '`tini -- sleep` (the floor)', pid: floor.pid as number });
    } else {
      notes.push('tini could not be installed: no floor row');
    }
    const sameIo = spawnIdle(process.execPath, [SAME_IO, fake.url, KEY, String(QQ)]);
    idle.push(sameIo);
    subjects.push({ name: 'a node script doing only the same I/O (bench/lib/same-io.cjs)', pid: sameIo.pid as number });
    const stack = spawnIdle(process.execPath, [SAME_IO, fake.url, KEY, String(QQ), '--stack']);
    idle.push(stack);
    subjects.push({ name: 'the same script + commander + pino (`same-io.cjs --stack`)', pid: stack.pid as number });
    const node = spawnIdle(process.execPath, ['-e', 'setInterval(() => {}, 1e9)']);
    idle.push(node);
    subjects.push({ name: "bare `node -e 'setInterval(() => {}, 1e9)'`", pid: node.pid as number });
    await delay(WARMUP_MS);
    const spawnsBefore = watchdogs.map((w) => w.count('child.spawn'));
    const rows = await measure(subjects, seconds);
    const restarts = watchdogs.reduce((n, w, i) => n + w.count('child.spawn') - spawnsBefore[i]!, 0);
    return { rows, restarts, notes };
  } finally {
    for (const child of idle) child.kill('SIGTERM');
    await Promise.all(watchdogs.map((w) => w.stop()));
    await fake.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

export interface FloodRow {
  flags: string;
  seconds: number;
  cpuSeconds: number;
  maxRssMiB: number;
}

/**
 * What the node flags above cost where the watchdog works hardest: a bot that writes `mib` MiB to
 * stdout as fast as it can, relayed and scanned for two patterns; the watchdog's own stdout is
 * /dev/null. Wall time, the watchdog's CPU time and its peak RSS, `rounds` times each, alternating.
 */
export async function benchFlood(mib = 300, rounds = 2): Promise<FloodRow[]> {
  const bot =
    "const chunk = ('x'.repeat(1023) + '\\n').repeat(64); let left = " + mib * 16 + ';' +
    'function w() { while (left > 0) { left--; if (!process.stdout.write(chunk)) return process.stdout.once("drain", w); }' +
    ' process.stdout.end(() => process.exit(0)); } setTimeout(w, 500);';
  const rows: FloodRow[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const flags of [[], ['--max-semi-space-size=1']]) {
      const dir = mkdtempSync(join(tmpdir(), 'bw-bench-flood-'));
      const file = join(dir, 'watchdog.config.json');
      writeFileSync(
        file,
        JSON.stringify({ command: [process.execPath, '-e', bot], restart: { policy: 'never' }, probes: { output: { patterns: ['WebSocket 通道意外关闭', '无法连接到 mirai'] } } }),
      );
      const watchdog = new WatchdogCli(['run', '--config', file, '--log-format', 'json'], { nodeArgs: flags });
      try {
        await watchdog.waitForEvent('child.spawn');
        const cpu0 = cpuMs(watchdog.pid) ?? Number.NaN;
        const t0 = performance.now();
        let maxRss = 0;
        const sampler = setInterval(() => (maxRss = Math.max(maxRss, rssKb(watchdog.pid) ?? 0)), 50);
        await watchdog.waitForEvent('child.exit', undefined, 300_000);
        clearInterval(sampler);
        rows.push({
          flags: flags.join(' ') || '(none)',
          seconds: (performance.now() - t0) / 1000,
          cpuSeconds: ((cpuMs(watchdog.pid) ?? Number.NaN) - cpu0) / 1000,
          maxRssMiB: maxRss / 1024,
        });
      } finally {
        await watchdog.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  return rows;
}

export function formatTable(rows: OverheadRow[]): string {
  return markdownTable(
    ['process', 'CPU % of one core', 'RSS MiB (end)', 'RSS MiB (max)', 'PSS MiB', 'private MiB (RssAnon)'],
    ['l', 'r', 'r', 'r', 'r', 'r'],
    rows.map((r) => [r.name, r.cpuPercent.toFixed(2), r.rssMiB.toFixed(1), r.maxRssMiB.toFixed(1), r.pssMiB.toFixed(1), r.anonMiB.toFixed(1)]),
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const flag = process.argv.indexOf('--seconds');
  const seconds = flag > 0 ? Number(process.argv[flag + 1]) : 60;
  if (!Number.isFinite(seconds) || seconds < 1) {
    console.error('bench/overhead: --seconds expects a whole number of seconds >= 1');
    process.exit(2);
  }
  const load = loadavg()[0]!.toFixed(2);
  const { rows, restarts, notes } = await benchOverhead(seconds);
  console.log(`Idle for ${seconds} s after ${WARMUP_MS / 1000} s of warm-up (load average ${load} on ${availableParallelism()} cores)\n`);
  console.log(formatTable(rows));
  for (const note of notes) console.log(`\nnote: ${note}`);
  const ours = rows[0]!;
  const pm2 = rows.find((r) => r.name === PM2_ROW);
  const met = ours.cpuPercent < TARGET.cpuPercent && pm2 !== undefined && ours.anonMiB <= pm2.anonMiB && restarts === 0;
  console.log(
    `\ntarget: under ${TARGET.cpuPercent} % CPU and private memory (RssAnon) at most pm2-runtime's` +
      `${pm2 ? ` (${ours.anonMiB.toFixed(1)} vs ${pm2.anonMiB.toFixed(1)} MiB)` : ' (no pm2-runtime row)'}, no restart during the window` +
      `${restarts ? ` (bots were restarted ${restarts} times)` : ''}, for the first row — ${met ? 'met' : 'MISSED'}`,
  );
  if (!met) process.exitCode = 1;
  if (process.argv.includes('--flood')) {
    const mib = 300;
    console.log(`\nA ${mib} MiB output flood relayed and scanned, under each node flag set (the bot's output is 1 KiB lines)\n`);
    console.log(
      markdownTable(
        ['node flags', 'seconds', 'MiB/s', 'watchdog CPU s', 'peak RSS MiB'],
        ['l', 'r', 'r', 'r', 'r'],
        (await benchFlood(mib)).map((r) => [
          r.flags,
          r.seconds.toFixed(2),
          (mib / r.seconds).toFixed(0),
          r.cpuSeconds.toFixed(2),
          r.maxRssMiB.toFixed(1),
        ]),
      ),
    );
  }
}
