import type { EventLog } from '../log/events.js';
import { findMarked, findTree } from '../process/process-tree.js';
import { foreignMarkerProblem, killTree as defaultKillTree, type TreeMarker } from '../process/kill-tree.js';
import type { KillTreeFn } from '../supervisor/types.js';
import { bootId, liveness } from './identity.js';
import type { StateFile } from './state-file.js';

export interface OrphanRecoveryOptions {
  stop: { signal: NodeJS.Signals; timeout: number };
  logger: EventLog;
  killTree?: KillTreeFn;
  /** The live processes of a tree (default: one /proc scan, see process-tree.ts). */
  findTree?: (root: { pid: number; startTime: number }, marker: TreeMarker | undefined) => number[];
  /** The live processes that carry a marker, oldest first (default: one /proc scan). */
  findMarked?: (marker: { name: string; value: string }, since: number) => { pid: number; startTime: number }[];
}

/**
 * The watchdog was killed between a spawn and the write of its bot: only the marker, written
 * before the spawn, is known. The oldest process that carries it (started after that watchdog,
 * on this boot) is the bot; the rest of the tree is found from it as usual.
 */
function spawnedBot(state: StateFile, options: OrphanRecoveryOptions): StateFile['bot'] {
  const spawning = state.spawning;
  const boot = bootId();
  if (!spawning || boot === undefined || state.watchdog.bootId !== boot || state.watchdog.startTime === undefined) return null;
  // Only our own kind of marker may select processes (a forged one is never searched for).
  if (foreignMarkerProblem(spawning.marker)) return null;
  const find = options.findMarked ?? ((marker, since) => findMarked(marker, since));
  const oldest = find(spawning.marker, state.watchdog.startTime)[0];
  if (!oldest) return null;
  return { pid: oldest.pid, startTime: oldest.startTime, bootId: boot, startedAt: spawning.at, marker: spawning.marker, command: [] };
}

export type OrphanOutcome =
  /** The state names no bot, or nothing of its tree is alive. */
  | { kind: 'none' }
  /** The state's own watchdog still runs: its bot is not an orphan. */
  | { kind: 'watchdog-alive'; pid: number }
  /** The bot's identity cannot be checked here (no /proc): it is left alone. */
  | { kind: 'unverifiable'; pid: number }
  | { kind: 'stopped'; pid: number; pids: number[]; forced: boolean; survivors: number[] };

/**
 * Finds the bot a killed watchdog left behind and stops its whole tree, before a new bot is
 * started: two bots on one QQ account fight over the session. The recorded root is trusted only
 * if its pid, start time and boot all match; what it left behind (setsid'd helpers, daemons) is
 * found through its process group and its tree marker, the same way a normal stop finds it.
 */
export async function recoverOrphan(state: StateFile | undefined, options: OrphanRecoveryOptions): Promise<OrphanOutcome> {
  if (!state) return { kind: 'none' };
  if ((state.bot || state.spawning) && state.watchdog.pid !== process.pid && liveness(state.watchdog) === 'alive') {
    return { kind: 'watchdog-alive', pid: state.watchdog.pid };
  }
  const bot = state.bot ?? spawnedBot(state, options);
  if (!bot) return { kind: 'none' };
  const { logger } = options;
  const boot = bootId();
  if (bot.bootId !== undefined && boot !== undefined && bot.bootId !== boot) return { kind: 'none' };
  if (bot.startTime === undefined || boot === undefined) {
    logger.emit('orphan.unverifiable',
      { pid: bot.pid },
      `the state file names a bot (pid ${bot.pid}) whose identity cannot be checked here (no /proc): leaving it alone`,
    );
    return { kind: 'unverifiable', pid: bot.pid };
  }

  // The file may have been edited: only our own kind of marker may select processes to signal.
  const markerProblem = foreignMarkerProblem(bot.marker);
  const marker = markerProblem ? undefined : bot.marker;
  if (markerProblem) {
    logger.emit(
      'orphan.marker-ignored',
      { pid: bot.pid, name: bot.marker.name, problem: markerProblem },
      `the state file's tree marker is ignored (${markerProblem}): the recorded bot is found by its pid, start time and process group only`,
    );
  }
  const root = { pid: bot.pid, startTime: bot.startTime };
  const find = options.findTree ?? ((r, m) => findTree(r, m ? { marker: m } : {}).map((info) => info.pid));
  const members = find(root, marker);
  if (members.length === 0) return { kind: 'none' };

  const rootAlive = members.includes(bot.pid);
  logger.emit('orphan.found',
    { pid: bot.pid, rootAlive, pids: members, watchdogPid: state.watchdog.pid, startedAt: bot.startedAt },
    rootAlive
      ? `the bot of a previous watchdog (pid ${state.watchdog.pid}) is still running (pid ${bot.pid}): stopping its tree before starting a new one`
      : `processes of the bot of a previous watchdog (pid ${state.watchdog.pid}) are still running: stopping them before starting a new one`,
  );
  const kill = options.killTree ?? defaultKillTree;
  const outcome = await kill(
    root,
    {
      signal: options.stop.signal,
      timeout: options.stop.timeout,
      ...(marker ? { marker } : {}),
      onSignal: (pids, signal) => {
        if (pids.length > 0) logger.emit('child.kill',{ pids, signal }, `sent ${signal} to ${pids.length} process(es)`);
      },
    },
  );
  if (outcome.survivors.length > 0) {
    logger.emit('orphan.survivors',{ pids: outcome.survivors }, 'some processes of the orphaned bot could not be stopped');
  } else {
    logger.emit('orphan.stopped',{ pid: bot.pid, forced: outcome.forced }, 'the orphaned bot is stopped');
  }
  return { kind: 'stopped', pid: bot.pid, pids: outcome.pids, forced: outcome.forced, survivors: outcome.survivors };
}
