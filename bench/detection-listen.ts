// Detection latency for bots that LISTEN for NapCat's reverse WebSocket (issue 10), with the real
// CLI, the Python fixture bots and a NapCat-shaped client that reconnects and keeps sending a
// message every 100 ms: time from the fault (the command message sent, at a random phase of the
// probe's sampling) to the watchdog's `child.stop` (its own log timestamp), several runs each, one
// watchdog per scenario.
// Run: npm run build && node --import tsx bench/detection-listen.ts [--runs N]
// Exits 1 when a target is missed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { procAvailable } from '../src/process/proc-stat.js';
import { botCommand } from '../test/helpers/listening-bot.js';
import type { LogRecord } from '../test/helpers/log-sink.js';
import { ReconnectingNapcat } from '../test/helpers/napcat-client.js';
import { waitUntil } from '../test/helpers/wait.js';
import { runWatchdog } from '../test/helpers/watchdog-process.js';
import { markdownTable, summarize } from './lib/stats.js';

/** The windows the scenarios are configured with (ms); interval is the default, 2 s. */
const STALL = 6000;
const GRACE = 4000;
const INTERVAL = 2000;
const STARTUP_GRACE = 1000;

interface Scenario {
  name: string;
  faultText: string;
  bot: string;
  command: string;
  reason: string;
  link: Record<string, unknown>;
  target: string;
  ok: (times: number[]) => boolean;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'hung bot (stall)',
    faultText: `its event loop blocks (time.sleep in a handler) while NapCat sends every 100 ms; stall ${STALL / 1000} s, interval ${INTERVAL / 1000} s`,
    bot: 'blocking_loop_bot.py',
    command: '/block',
    reason: 'link-stalled',
    link: { stall: STALL, grace: 60_000 },
    target: `max ≤ stall + 1 s (${STALL + 1000} ms)`,
    ok: (times) => Math.max(...times) <= STALL + 1000,
  },
  {
    name: 'deaf bot (server task dies)',
    faultText: `listener and link close, the process lives on; grace ${GRACE / 1000} s, interval ${INTERVAL / 1000} s`,
    bot: 'aiocqhttp_like.py',
    command: '/die-server',
    reason: 'link-lost',
    link: { grace: GRACE },
    target: `max ≤ grace + 1 s (${GRACE + 1000} ms)`,
    ok: (times) => Math.max(...times) <= GRACE + 1000,
  },
  {
    name: 'deaf bot (listener closes, the link carries on)',
    faultText: `NapCat's current link still works, no reconnect can; grace ${GRACE / 1000} s, interval ${INTERVAL / 1000} s`,
    bot: 'aiocqhttp_like.py',
    command: '/close-listener',
    reason: 'link-lost',
    link: { grace: GRACE },
    target: `max ≤ grace + 1 s (${GRACE + 1000} ms)`,
    ok: (times) => Math.max(...times) <= GRACE + 1000,
  },
];

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function runScenario(scenario: Scenario, runs: number): Promise<number[]> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'bw-bench-'));
  const file = join(dir, 'watchdog.config.json');
  writeFileSync(
    file,
    JSON.stringify({
      log: { format: 'json', level: 'info' },
      command: botCommand(scenario.bot),
      env: { BOT_PORT: String(port), PYTHONUNBUFFERED: '1' },
      startup: { grace: STARTUP_GRACE },
      restart: { initialDelay: 50, maxDelay: 50, factor: 1, jitter: 0, limit: { count: 0, window: 60_000 } },
      probes: { link: { listen: `127.0.0.1:${port}`, ...scenario.link } },
    }),
  );
  const napcat = ReconnectingNapcat.start(`ws://127.0.0.1:${port}/ws`, { reconnectMs: 200, sendEveryMs: 100 });
  const run = runWatchdog(['run', '--config', file]);
  const times: number[] = [];
  try {
    const seen = new Set<number>();
    for (let i = 0; i < runs; i++) {
      const spawn: LogRecord = await run.waitForEvent('child.spawn', (r) => !seen.has(r.pid as number), 30_000);
      seen.add(spawn.pid as number);
      const spawnedAt = Date.parse(String(spawn.time));
      // NapCat linked to this bot, which answered; startup.grace over and one sample after it.
      const link = await napcat.until(() => napcat.links.at(-1) === napcat.current && napcat.current, 30_000);
      await link.waitForAction((a) => a.action === 'send_msg', 30_000);
      await waitUntil(() => Date.now() >= spawnedAt + STARTUP_GRACE + INTERVAL, 30_000, 10);
      // At a random phase of the probe's sampling schedule.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * INTERVAL));
      const faultAt = Date.now();
      link.sendMessage(scenario.command);
      const stop = await run.waitForEvent('child.stop', (r) => r.pid === spawn.pid, 60_000);
      if (stop.reason !== scenario.reason) throw new Error(`${scenario.name}: stopped for ${String(stop.reason)}, not ${scenario.reason}`);
      times.push(Date.parse(String(stop.time)) - faultAt);
    }
  } finally {
    napcat.stop();
    run.kill('SIGTERM');
    await run.exited;
    for (const spawn of run.logs().filter((r) => r.event === 'child.spawn')) {
      try {
        process.kill(-(spawn.pid as number), 'SIGKILL');
      } catch {
        // gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
  return times;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (!procAvailable()) {
    console.error('bench/detection-listen: needs Linux /proc');
    process.exit(1);
  }
  const runsFlag = process.argv.indexOf('--runs');
  const runs = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 7;
  let ok = true;
  const rows: string[][] = [];
  for (const scenario of SCENARIOS) {
    const times = await runScenario(scenario, runs);
    const s = summarize(times);
    const met = scenario.ok(times);
    ok &&= met;
    rows.push([scenario.name, scenario.faultText, String(s.runs), s.medianMs.toFixed(0), s.maxMs.toFixed(0), scenario.target, met ? 'yes' : 'MISSED']);
  }
  console.log(`Listening bots: fault → child.stop (the watchdog's log timestamp), ${runs} runs each\n`);
  console.log(markdownTable(['scenario', 'fault', 'runs', 'median ms', 'max ms', 'target', 'met'], ['l', 'l', 'r', 'r', 'r', 'l', 'l'], rows));
  if (!ok) process.exitCode = 1;
}
