// probes.link.stall must never fire on a bot that reads. A NapCat-shaped sender (its own process)
// floods a real reading bot that LISTENs for reverse WebSocket — Node (the ws library) and Python
// (asyncio, aiocqhttp-shaped) — while this process reads the bot's receive queue from /proc every
// ~10 ms. Reported: (a) the longest time the queue stayed non-empty and never shrinking between
// those fine samples; (b) the longest "stall" samples every `interval` alone would have seen (why
// the probe takes a close look before it declares one); (c) how often the real LinkProbe, replayed
// on the recorded queue at tight settings (stall = 2 × the close look, 4 s) and at every phase of its sampling
// schedule, would have fired: it must be never.
// Run: node --import tsx bench/link-stall-flood.ts [--seconds N]
// Exits 1 when the probe would fire on a healthy bot, or the longest fine stretch exceeds half the
// close look (1 s).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { procAvailable } from '../src/process/proc-stat.js';
import { LinkProbe } from '../src/probes/link/link-probe.js';
import { LinkSampler, type LinkSample, type TreeConnection } from '../src/probes/link/link-sampler.js';
import { StallTracker } from '../src/probes/link/stall-tracker.js';
import { startListeningBot } from '../test/helpers/listening-bot.js';
import { markdownTable } from './lib/stats.js';

/** The value the README recommends for probes.link.stall. */
export const RECOMMENDED_STALL_MS = 30_000;
const INTERVALS = [2000, 1000, 500];
/** The close look the probe takes before it declares a stall (its default, with stall ≥ 2 s). */
const CONFIRM_MS = 2000;

interface FloodCase {
  bot: string;
  label: string;
  path: string;
  /** Messages per second, or "max": as fast as the link takes them. */
  rate: string;
  burst?: number;
}

const CASES: FloodCase[] = [
  { bot: 'reverse-ws-bot.mjs', label: 'Node (ws)', path: '/onebot', rate: 'max' },
  { bot: 'aiocqhttp_like.py', label: 'Python (asyncio, aiocqhttp-like)', path: '/ws', rate: 'max' },
  { bot: 'reverse-ws-bot.mjs', label: 'Node (ws)', path: '/onebot', rate: '20000', burst: 5000 },
  { bot: 'aiocqhttp_like.py', label: 'Python (asyncio, aiocqhttp-like)', path: '/ws', rate: '20000', burst: 5000 },
];

type Sample = [atMs: number, rxQueue: number];

interface FloodResult {
  flood: FloodCase;
  sent: number;
  answered: number;
  seconds: number;
  samples: number;
  nonEmptyPct: number;
  maxRxQueue: number;
  fineRunMs: number;
  apparent: Map<number, number>;
  /** interval → [checks that took a close look, checks that declared a stall] over every phase, at stall = 2 × the close look. */
  replay: Map<number, { closeLooks: number; fired: number }>;
}

/** The longest time the queue held bytes without ever shrinking, between consecutive fine samples. */
export function longestFineRun(samples: Sample[]): number {
  let longest = 0;
  let lastProgress = samples[0]?.[0] ?? 0;
  let previous = 0;
  for (const [at, rx] of samples) {
    if (rx <= 0 || rx < previous) lastProgress = at;
    else longest = Math.max(longest, at - lastProgress);
    previous = rx;
  }
  return longest;
}

/**
 * The longest stall the probe's StallTracker would have reported, sampling every `intervalMs`
 * (from the fine samples, the one nearest each sampling time), over every phase of the schedule.
 */
export function worstApparentStall(samples: Sample[], intervalMs: number, phaseStepMs = 10): number {
  let worst = 0;
  const end = samples.at(-1)?.[0] ?? 0;
  for (let phase = 0; phase < intervalMs; phase += phaseStepMs) {
    const tracker = new StallTracker(0);
    let i = 0;
    for (let at = (samples[0]?.[0] ?? 0) + phase; at <= end; at += intervalMs) {
      while (i + 1 < samples.length && (samples[i + 1] as Sample)[0] <= at) i++;
      const [sampledAt, rxQueue] = samples[i] as Sample;
      const connection: TreeConnection = { pid: 1, localAddress: '127.0.0.1', localPort: 1, remoteAddress: '127.0.0.1', remotePort: 2, rxQueue };
      tracker.update(sampledAt, [connection]);
      const stall = tracker.stalled(sampledAt);
      if (stall) worst = Math.max(worst, stall.stalledForMs);
    }
  }
  return worst;
}

/**
 * Replays the recorded queue through the real LinkProbe (virtual clock, listened link), checking
 * every `intervalMs` and again when the probe says a close look is due, as the bot-probe runner does; at
 * every phase of the schedule (step 50 ms). Counts the close looks taken and the stalls declared.
 */
export async function replayProbe(samples: Sample[], intervalMs: number, stallMs: number): Promise<{ closeLooks: number; fired: number }> {
  let closeLooks = 0;
  let fired = 0;
  const first = samples[0]?.[0] ?? 0;
  const end = samples.at(-1)?.[0] ?? 0;
  for (let phase = 0; phase < intervalMs; phase += 50) {
    let now = first + phase;
    let i = 0;
    let slept = false;
    const sampler = {
      sample: (): LinkSample => {
        while (i + 1 < samples.length && (samples[i + 1] as Sample)[0] <= now) i++;
        const rxQueue = (samples[i] as Sample)[1];
        const link: TreeConnection = { pid: 1, localAddress: '127.0.0.1', localPort: 2280, remoteAddress: '127.0.0.1', remotePort: 50000, rxQueue };
        return { kind: 'ok', link, links: [link], listeners: [{ pid: 1, address: '127.0.0.1', port: 2280 }], connections: [link], processes: 1, fullScan: false };
      },
    };
    const probe = new LinkProbe({
      sampler,
      listen: { host: undefined, port: 2280 },
      stall: stallMs,
      grace: 3_600_000,
      since: now,
      now: () => now,
      sleep: async (ms) => {
        slept = true;
        now += ms;
      },
    });
    // A close look needs recorded samples to look at: stop a close look's length before the end.
    while (now + CONFIRM_MS + 100 <= end) {
      slept = false;
      const result = await probe.check();
      if (slept) closeLooks++;
      if (result.verdict === 'unhealthy') {
        fired++;
        const window = samples.filter(([at]) => at > now - stallMs - 500 && at <= now).map(([at, rx]) => `${(at - first).toFixed(0)}:${rx}`);
        console.error(`would fire at ${(now - first).toFixed(0)} ms (interval ${intervalMs}, phase ${phase}): ${result.reason}\n  queue (ms:bytes): ${window.join(' ')}`);
      }
      const due = probe.dueInMs();
      now += due < intervalMs ? Math.max(1, Math.ceil(due) + 1) : intervalMs;
    }
  }
  return { closeLooks, fired };
}

async function runFlood(flood: FloodCase, seconds: number): Promise<FloodResult> {
  const bot = await startListeningBot(flood.bot);
  try {
    const sender = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('../test/helpers/napcat-flood.ts', import.meta.url)), `ws://127.0.0.1:${bot.port}${flood.path}`, String(seconds), flood.rate, String(flood.burst ?? 0)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    sender.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    const exited = once(sender, 'exit');
    let done = false;
    void exited.then(() => (done = true));
    const sampler = new LinkSampler({ root: { pid: bot.pid } });
    const query = { accept: (c: TreeConnection) => c.localPort === bot.port };
    const samples: Sample[] = [];
    while (!done) {
      const sample = sampler.sample(query);
      const link = sample.kind === 'ok' ? sample.link : undefined;
      if (link) samples.push([performance.now(), link.rxQueue]);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const stats = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as { sent: number; answered: number; seconds: number };
    const apparent = new Map(INTERVALS.map((interval) => [interval, worstApparentStall(samples, interval)]));
    const replay = new Map<number, { closeLooks: number; fired: number }>();
    for (const interval of INTERVALS) replay.set(interval, await replayProbe(samples, interval, 2 * CONFIRM_MS));
    return {
      flood,
      ...stats,
      samples: samples.length,
      nonEmptyPct: (100 * samples.filter(([, rx]) => rx > 0).length) / Math.max(1, samples.length),
      maxRxQueue: Math.max(0, ...samples.map(([, rx]) => rx)),
      fineRunMs: longestFineRun(samples),
      apparent,
      replay,
    };
  } finally {
    await bot.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (!procAvailable()) {
    console.error('bench/link-stall-flood: needs Linux /proc');
    process.exit(1);
  }
  const secondsFlag = process.argv.indexOf('--seconds');
  const seconds = secondsFlag > 0 ? Number(process.argv[secondsFlag + 1]) : 10;
  const results: FloodResult[] = [];
  for (const flood of CASES) results.push(await runFlood(flood, seconds));
  console.log(`Healthy bots under a flood: ${seconds} s each, the receive queue sampled every ~10 ms\n`);
  console.log(
    markdownTable(
      ['bot', 'flood', 'sent/s', 'answered/s', 'queue non-empty', 'max queue bytes', 'longest non-shrinking (fine) ms', ...INTERVALS.map((i) => `"stall" seen every ${i} ms alone`)],
      ['l', 'l', 'r', 'r', 'r', 'r', 'r', ...INTERVALS.map(() => 'r' as const)],
      results.map((r) => [
        r.flood.label,
        r.flood.rate === 'max' ? 'as fast as the link takes' : `${r.flood.burst} at once, ${r.flood.rate}/s on average`,
        (r.sent / r.seconds).toFixed(0),
        (r.answered / r.seconds).toFixed(0),
        `${r.nonEmptyPct.toFixed(0)}%`,
        String(r.maxRxQueue),
        r.fineRunMs.toFixed(0),
        ...INTERVALS.map((i) => (r.apparent.get(i) ?? 0).toFixed(0)),
      ]),
    ),
  );
  console.log(`\nThe real LinkProbe replayed on those queues at every phase of its schedule (stall ${(2 * CONFIRM_MS) / 1000} s, close look ${CONFIRM_MS / 1000} s)\n`);
  console.log(
    markdownTable(
      ['bot', 'flood', ...INTERVALS.map((i) => `interval ${i} ms: close looks / stalls declared`)],
      ['l', 'l', ...INTERVALS.map(() => 'r' as const)],
      results.map((r) => [
        r.flood.label,
        r.flood.rate === 'max' ? 'as fast as the link takes' : `bursts of ${r.flood.burst}`,
        ...INTERVALS.map((i) => `${r.replay.get(i)?.closeLooks ?? 0} / ${r.replay.get(i)?.fired ?? 0}`),
      ]),
    ),
  );
  const fired = results.reduce((n, r) => n + [...r.replay.values()].reduce((m, x) => m + x.fired, 0), 0);
  const worstFine = Math.max(...results.map((r) => r.fineRunMs));
  const ok = fired === 0 && worstFine <= CONFIRM_MS / 2;
  console.log(
    `\ntarget: no stall declared on a bot that reads (${fired} declared), and the longest fine stretch (${worstFine.toFixed(0)} ms) at most half the close look (${CONFIRM_MS / 2} ms): ${ok ? 'met' : 'MISSED'}`,
  );
  if (!ok) process.exitCode = 1;
}
