// A real bot behind NapCat under the real CLI, configured exactly as `init --preset <name>` writes
// it (its timings unchanged); only what must differ on a test machine is filled in: the bot's
// command (the framework's venv and the fixture bot), its port and the watchdog's listen port
// (free ports), and JSON logs. NapCat is test/helpers/napcat-instance.ts with NapCat's own
// defaults (heartbeats every 30 s, a reconnect every 5 s).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, noneBotPreset } from '../../test/helpers/framework-configs.js';
import { MAKE_VENVS, venvPython, type FrameworkVenv } from '../../test/helpers/framework-venv.js';
import { NapCatInstance } from '../../test/helpers/napcat-instance.js';
import { WatchdogCli, type LogLine } from './watchdog-cli.js';


/** The venv's python, or exits 1 naming the command that makes it. */
export function pythonOf(venv: FrameworkVenv): string {
  const python = venvPython(venv);
  if (!existsSync(python)) {
    console.error(`${venv} is absent: make it with ${MAKE_VENVS}`);
    process.exit(1);
  }
  return python;
}

export interface Watched {
  cli: WatchdogCli;
  /** Every log record so far (events only). */
  records: LogLine[];
  restarts(): number;
  stop(): Promise<void>;
}

/** Runs the CLI on `config` (written to a temp folder, JSON logs); keeps every record. */
export function watch(config: Record<string, unknown>): Watched {
  const dir = mkdtempSync(join(tmpdir(), 'bw-bench-napcat-'));
  const file = join(dir, 'watchdog.config.json');
  writeFileSync(file, JSON.stringify({ ...config, log: { format: 'json', level: 'info' } }));
  const cli = new WatchdogCli(['run', '--config', file], { cwd: dir });
  const records: LogLine[] = [];
  cli.on('log', (record: LogLine) => records.push(record));
  return {
    cli,
    records,
    restarts: () => cli.count('child.stop'),
    stop: async () => {
      await cli.stop();
      for (const spawn of records.filter((r) => r.event === 'child.spawn')) {
        try {
          process.kill(-(spawn.pid as number), 'SIGKILL');
        } catch {
          // gone
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface NoneBotStack {
  watched: Watched;
  napcat: NapCatInstance;
  /** The preset's config as run. */
  config: Record<string, any>;
  stop(): Promise<void>;
}

/** The NoneBot2 fixture bot with `init --preset nonebot2`'s config, NapCat dialing bot and watchdog. */
export async function startNoneBotStack(): Promise<NoneBotStack> {
  const python = pythonOf('.venv-nonebot');
  const botPort = await freePort();
  const watchdogPort = await freePort();
  const config = noneBotPreset(python, { bot: botPort, watchdog: watchdogPort });
  config['env'] = { ...config['env'], LOG_LEVEL: 'WARNING' };
  const watched = watch(config);
  const napcat = NapCatInstance.start({ botUrl: `ws://127.0.0.1:${botPort}/onebot/v11/ws`, watchdogUrl: `ws://127.0.0.1:${watchdogPort}/` });
  return {
    watched,
    napcat,
    config,
    stop: async () => {
      await napcat.stop();
      await watched.stop();
    },
  };
}

export { freePort };

export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function argValue(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
}

/** Where the time from a fault to an answer went: to the stop (detection), to the new spawn, to the answer. */
export interface Breakdown {
  toStopMs?: number;
  toSpawnMs?: number;
  toAnswerMs?: number;
}

export function breakdown(records: LogLine[], faultAt: number, answeredAt: number): Breakdown {
  const after = records.filter((r) => Date.parse(String(r.time)) >= faultAt - 50);
  const stop = after.find((r) => r.event === 'child.stop');
  const spawn = after.find((r) => r.event === 'child.spawn');
  const stopAt = stop ? Date.parse(String(stop.time)) : undefined;
  const spawnAt = spawn ? Date.parse(String(spawn.time)) : undefined;
  return {
    ...(stopAt === undefined ? {} : { toStopMs: stopAt - faultAt }),
    ...(spawnAt === undefined || stopAt === undefined ? {} : { toSpawnMs: spawnAt - stopAt }),
    ...(spawnAt === undefined ? {} : { toAnswerMs: answeredAt - spawnAt }),
  };
}

/** "8.1 + 1.2 + 5.3 s" (median of each part), or "—" when nothing was restarted. */
export function showBreakdown(parts: Breakdown[]): string {
  const median = (values: (number | undefined)[]) => {
    const known = values.filter((v): v is number => v !== undefined).sort((a, b) => a - b);
    return known.length === 0 ? undefined : (known[known.length >> 1] as number);
  };
  const stop = median(parts.map((p) => p.toStopMs));
  if (stop === undefined) return '—';
  return `${(stop / 1000).toFixed(1)} + ${((median(parts.map((p) => p.toSpawnMs)) ?? 0) / 1000).toFixed(1)} + ${((median(parts.map((p) => p.toAnswerMs)) ?? 0) / 1000).toFixed(1)} s`;
}
