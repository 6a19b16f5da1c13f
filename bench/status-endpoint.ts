// What the status endpoint costs the watchdog, with the built CLI and the healthy fixture bot:
// - restart time (the bot SIGKILLed → the next child.spawn, by the watchdog's own log times, no
//   backoff) without the endpoint, with it idle, and with it flooded (16 idle connections and 8
//   clients requesting /metrics and /status as fast as they can, answered or refused with 429);
// - the time to answer /metrics and /status (from this process, on a fresh connection each);
// - the watchdog's CPU time over 10 s of idling, without and with the endpoint.
// Run: npm run build && node --import tsx bench/status-endpoint.ts   (exits 1 if a target is missed)
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnSync } from 'node:child_process';
import type { Socket } from 'node:net';
import { get, rawSocket } from '../test/helpers/status-client.js';
import { fixture, runWatchdog, type WatchdogRun } from '../test/helpers/watchdog-process.js';
import { markdownTable, summarize } from './lib/stats.js';

/** A flood may slow a restart by at most this much (median), and an idle endpoint costs at most this CPU share. */
export const TARGET = { floodSlowdownMs: 50, idleCpuPercent: 0.5 };
const RUNS = 7;
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;

interface Watchdog {
  run: WatchdogRun;
  port: number | undefined;
  stop: () => Promise<void>;
}

async function start(endpoint: boolean): Promise<Watchdog> {
  const dir = mkdtempSync(join(tmpdir(), 'bw-bench-status-'));
  const config = join(dir, 'watchdog.config.json');
  writeFileSync(
    config,
    JSON.stringify({
      command: [process.execPath, fixture('bots/healthy.mjs')],
      restart: { initialDelay: 0, jitter: 0, limit: { count: 0 } },
      log: { format: 'json' },
      ...(endpoint ? { status: { listen: '127.0.0.1:0' } } : {}),
    }),
  );
  const run = runWatchdog(['run', '--config', config]);
  const port = endpoint ? Number((await run.waitForEvent('status.listening')).port) : undefined;
  await run.waitForEvent('child.spawn');
  return {
    run,
    port,
    stop: async () => {
      run.kill('SIGTERM');
      await run.exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Kills the running bot RUNS times; each time, ms from its child.exit to the next child.spawn (the watchdog's timestamps). */
async function restartTimes(watchdog: Watchdog): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const spawns = watchdog.run.logs().filter((r) => r.event === 'child.spawn');
    const current = { pid: Number(spawns[spawns.length - 1]?.pid) };
    process.kill(current.pid, 'SIGKILL');
    const exit = await watchdog.run.waitForEvent('child.exit', (r) => r.pid === current.pid);
    const spawn = await watchdog.run.waitForEvent('child.spawn', (r) => r.pid !== current.pid && !spawns.some((s) => s.pid === r.pid));
    times.push(Date.parse(String(spawn['time'])) - Date.parse(String(exit['time'])));
    await sleep(200);
  }
  return times;
}

async function flooded<T>(port: number, work: () => Promise<T>): Promise<{ result: T; answers: Map<number, number> }> {
  const idle: Socket[] = (await Promise.all(Array.from({ length: 16 }, () => rawSocket(port).catch(() => undefined)))).filter((s): s is Socket => !!s);
  let flooding = true;
  const answers = new Map<number, number>();
  const clients = Array.from({ length: 8 }, async () => {
    for (let i = 0; flooding; i++) {
      const status = await get(port, i % 2 ? '/metrics' : '/status').then((r) => r.status, () => 0);
      answers.set(status, (answers.get(status) ?? 0) + 1);
    }
  });
  try {
    return { result: await work(), answers };
  } finally {
    flooding = false;
    await Promise.all(clients);
    for (const socket of idle) socket.destroy();
  }
}

function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

async function idleCpu(watchdog: Watchdog): Promise<number> {
  const before = cpuMs(watchdog.run.pid);
  const t0 = performance.now();
  await sleep(10_000);
  return ((cpuMs(watchdog.run.pid) - before) / (performance.now() - t0)) * 100;
}

async function answerTimes(port: number, path: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    await get(port, path);
    times.push(performance.now() - t0);
  }
  return times;
}

const fmt = (ms: number) => ms.toFixed(1);
const rows: string[][] = [];
let failed = false;

const off = await start(false);
const restartOff = summarize(await restartTimes(off));
const cpuOff = await idleCpu(off);
await off.stop();
rows.push(['restart (exit → spawn), no endpoint', String(restartOff.runs), fmt(restartOff.medianMs), fmt(restartOff.maxMs), '']);

const on = await start(true);
const port = on.port as number;
const restartIdle = summarize(await restartTimes(on));
rows.push(['restart, endpoint idle', String(restartIdle.runs), fmt(restartIdle.medianMs), fmt(restartIdle.maxMs), '']);
const flood = await flooded(port, () => restartTimes(on));
const restartFlood = summarize(flood.result);
const floodMet = restartFlood.medianMs <= restartOff.medianMs + TARGET.floodSlowdownMs;
failed ||= !floodMet;
rows.push([
  `restart, endpoint flooded (${[...flood.answers].map(([status, n]) => `${n}× ${status || 'refused'}`).join(', ')})`,
  String(restartFlood.runs),
  fmt(restartFlood.medianMs),
  fmt(restartFlood.maxMs),
  `median ≤ no endpoint + ${TARGET.floodSlowdownMs}: ${floodMet ? 'met' : 'MISSED'}`,
]);
for (const path of ['/metrics', '/status']) {
  const answer = summarize(await answerTimes(port, path));
  rows.push([`GET ${path} (fresh connection)`, String(answer.runs), fmt(answer.medianMs), fmt(answer.maxMs), '']);
}
const cpuOn = await idleCpu(on);
await on.stop();
const cpuMet = cpuOn - cpuOff <= TARGET.idleCpuPercent;
failed ||= !cpuMet;

console.log(markdownTable(['measure', 'runs', 'median ms', 'max ms', 'target'], ['l', 'r', 'r', 'r', 'l'], rows));
console.log();
console.log(
  markdownTable(
    ['watchdog idle for 10 s', 'CPU %', 'target'],
    ['l', 'r', 'l'],
    [
      ['no endpoint', cpuOff.toFixed(2), ''],
      ['endpoint on, no client', cpuOn.toFixed(2), `≤ no endpoint + ${TARGET.idleCpuPercent}: ${cpuMet ? 'met' : 'MISSED'}`],
    ],
  ),
);
console.log(`\nload average ${loadavg()[0]?.toFixed(1)} on ${availableParallelism()} cores`);
process.exit(failed ? 1 : 0);
