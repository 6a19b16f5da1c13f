// Detection latency of backend faults: from the moment a fault takes effect until the watchdog
// logs `child.stop` (it is stopping the bot's tree). Real processes: the built CLI, a fake Mirai
// in a child process (so it can be SIGKILLed), a bot fixture.
// Run: npm run build && node --import tsx bench/detection.ts   (exits 1 if a target is missed)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { fixture, runWatchdog, type WatchdogRun } from '../test/helpers/watchdog-process.js';
import { FakeBackendProcess } from './lib/fake-backend-process-client.js';
import { markdownTable, summarize } from './lib/stats.js';

/** Probe timings of the bench (the defaults, 5 s polls and 10 s pings, would make it take minutes). */
export const TIMING = { interval: 1000, timeout: 1000, failureThreshold: 3, pingInterval: 1000, pongTimeout: 1000 };
const KEY = 'bench-verify-key';
const QQ = 123456789;

export interface DetectionRow {
  fault: string;
  detectedBy: string;
  runs: number;
  medianMs: number;
  maxMs: number;
  target: string;
  met: boolean;
}

interface Scenario {
  fault: string;
  detectedBy: string;
  websocket: boolean;
  /** Injects the fault; resolves with the time (ms since the epoch) it took effect. */
  inject: (fake: FakeBackendProcess) => Promise<number>;
  /** Undoes it; resolves with the fake to use next (a new one after a kill). */
  heal: (fake: FakeBackendProcess) => Promise<FakeBackendProcess>;
  target: { medianMs?: number; maxMs?: number };
}

export const SCENARIOS: Scenario[] = [
  {
    fault: 'socket drop (every socket dropped without a close frame, new ones too)',
    detectedBy: 'WebSocket close 1006, confirmed by one reconnect',
    websocket: true,
    inject: (fake) => fake.fault('drop'),
    heal: async (fake) => (await fake.fault(null), fake),
    target: { medianMs: 1000 },
  },
  {
    fault: 'socket drop, backend back at once (blip)',
    detectedBy: 'WebSocket close 1006, the reconnect works: restart anyway',
    websocket: true,
    inject: (fake) => fake.dropConnections(),
    heal: async (fake) => fake,
    target: { medianMs: 1000 },
  },
  {
    fault: 'backend process killed (SIGKILL)',
    detectedBy: 'WebSocket close 1006, reconnect refused',
    websocket: true,
    inject: (fake) => fake.kill(),
    heal: (fake) => fake.restart(),
    target: { medianMs: 1000 },
  },
  {
    fault: 'backend frozen (TCP open, nothing answered)',
    detectedBy: 'no pong',
    websocket: true,
    inject: (fake) => fake.fault('freeze'),
    heal: async (fake) => (await fake.fault(null), fake),
    target: { maxMs: TIMING.pingInterval + TIMING.pongTimeout + 1000 },
  },
  {
    fault: 'HTTP poll failure (WebSocket probe off; /about answers code 500)',
    detectedBy: `${TIMING.failureThreshold} failed polls`,
    websocket: false,
    inject: (fake) => fake.fault({ kind: 'wrongCode', code: 500 }),
    heal: async (fake) => (await fake.fault(null), fake),
    target: { maxMs: TIMING.failureThreshold * TIMING.interval + 1000 },
  },
];

const count = (run: WatchdogRun, event: string) => run.logs().filter((r) => r.event === event).length;

async function measure(scenario: Scenario, runs: number): Promise<number[]> {
  let fake = await FakeBackendProcess.start('mirai', { verifyKey: KEY, bots: [QQ] });
  const dir = mkdtempSync(join(tmpdir(), 'bw-bench-'));
  const file = join(dir, 'watchdog.config.json');
  writeFileSync(
    file,
    JSON.stringify({
      command: [process.execPath, fixture('bots/healthy.mjs')],
      backend: { kind: 'mirai', url: fake.url, verifyKey: KEY, qq: QQ },
      probes: {
        backend: { interval: TIMING.interval, timeout: TIMING.timeout, failureThreshold: TIMING.failureThreshold },
        websocket: { enabled: scenario.websocket, pingInterval: TIMING.pingInterval, pongTimeout: TIMING.pongTimeout },
      },
      // Seven outages in a row within minutes: restart.flapping damps runs 4 to 7. The damping only
      // delays the start after the stop, never the stop that is timed here; short delays keep the bench short.
      restart: { flapping: { count: 3, window: '10m', delay: '1s', maxDelay: '2s' } },
      log: { format: 'json', level: 'info' },
    }),
  );
  const run = runWatchdog(['run', '--config', file]);
  const times: number[] = [];
  try {
    await run.waitForEvent('child.spawn', undefined, 30_000);
    for (let i = 0; i < runs; i++) {
      // A random phase against the ping and poll schedules, as a real fault would have.
      await delay(Math.random() * TIMING.interval);
      const at = await scenario.inject(fake);
      const stop = await run.waitForEvent('child.stop', () => count(run, 'child.stop') >= i + 1, 30_000);
      const last = run.logs().filter((r) => r.event === 'child.stop')[i];
      times.push(Date.parse(String((last ?? stop)['time'])) - at);
      fake = await scenario.heal(fake);
      await run.waitForEvent('child.spawn', () => count(run, 'child.spawn') >= i + 2, 30_000);
    }
  } finally {
    run.kill('SIGTERM');
    await run.exited;
    await fake.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return times;
}

export async function benchDetection(runs = 7): Promise<DetectionRow[]> {
  const rows: DetectionRow[] = [];
  for (const scenario of SCENARIOS) {
    const { medianMs, maxMs } = summarize(await measure(scenario, runs));
    const { target } = scenario;
    const met = (target.medianMs === undefined || medianMs < target.medianMs) && (target.maxMs === undefined || maxMs <= target.maxMs);
    const targetText = target.medianMs !== undefined ? `median < ${target.medianMs}` : `max ≤ ${target.maxMs}`;
    rows.push({ fault: scenario.fault, detectedBy: scenario.detectedBy, runs, medianMs, maxMs, target: targetText, met });
  }
  return rows;
}

export function formatTable(rows: DetectionRow[]): string {
  return markdownTable(
    ['fault', 'detected by', 'runs', 'median ms', 'max ms', 'target ms', 'met'],
    ['l', 'l', 'r', 'r', 'r', 'l', 'l'],
    rows.map((r) => [r.fault, r.detectedBy, String(r.runs), String(Math.round(r.medianMs)), String(Math.round(r.maxMs)), r.target, r.met ? 'yes' : '**no**']),
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const runs = Number(process.env.BENCH_RUNS ?? 7);
  const rows = await benchDetection(runs);
  const t = TIMING;
  console.log(
    `Fault → child.stop, ${runs} runs each (interval ${t.interval}ms, timeout ${t.timeout}ms, failureThreshold ${t.failureThreshold}, ` +
      `pingInterval ${t.pingInterval}ms, pongTimeout ${t.pongTimeout}ms)\n`,
  );
  console.log(formatTable(rows));
  const missed = rows.filter((r) => !r.met);
  console.log(missed.length === 0 ? '\nall targets met' : `\ntargets MISSED: ${missed.map((r) => r.fault).join('; ')}`);
  if (missed.length > 0) process.exitCode = 1;
}
