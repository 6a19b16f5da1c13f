// Test and bench helper: runs a fixture from test/fixtures/trees the way the supervisor runs
// a bot (detached, tree marker in its environment) and waits for its "ready <pids>" line.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { newTreeMarker, type TreeMarker } from '../../src/process/kill-tree.js';
import { isGone, processStartTime, readEnviron, readProcTable } from '../../src/process/proc-stat.js';

const fixtures = fileURLToPath(new URL('../fixtures/trees/', import.meta.url));

export interface SpawnedTree {
  child: ChildProcess;
  marker: TreeMarker;
  /** The pids printed on the ready line, the root first. */
  pids: number[];
  /** Start time of each printed pid, read right after the ready line. */
  startTimes: Map<number, number>;
  /** SIGKILLs whatever is left (group and marked processes) and waits for the root's exit. */
  cleanup(): Promise<void>;
}

export async function spawnTree(fixture: string, args: string[] = []): Promise<SpawnedTree> {
  const marker = newTreeMarker();
  const command = fixture.endsWith('.sh') ? 'sh' : process.execPath;
  const child = spawn(command, [fixtures + fixture, ...args], {
    detached: true,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, [marker.name]: marker.value },
  });
  // Settles on 'exit', or at once if the spawn itself failed ('error'): readyLine reports that.
  const exited = once(child, 'exit').catch(() => undefined);
  const cleanup = async (): Promise<void> => {
    killMarked(marker, child.pid);
    if (child.exitCode === null && child.signalCode === null) await exited;
  };
  try {
    const pids = await readyLine(child, fixture);
    const startTimes = new Map<number, number>();
    for (const pid of pids) {
      const startTime = processStartTime(pid);
      if (startTime === undefined) throw new Error(`${fixture}: pid ${pid} is already gone`);
      startTimes.set(pid, startTime);
    }
    return { child, marker, pids, startTimes, cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

async function readyLine(child: ChildProcess, fixture: string): Promise<number[]> {
  const lines = createInterface({ input: child.stdout! });
  const died = once(child, 'exit').then(([code, signal]) => {
    throw new Error(`${fixture} exited (${String(code ?? signal)}) before it was ready`);
  });
  const ready = (async () => {
    for await (const line of lines) {
      if (line.startsWith('ready ')) return line.slice(6).trim().split(/\s+/).map(Number);
    }
    throw new Error(`${fixture} closed its output before it was ready`);
  })();
  try {
    return await Promise.race([ready, died]);
  } finally {
    // The loser of the race may still settle; it must not become an unhandled rejection.
    died.catch(() => {});
    ready.catch(() => {});
  }
}

/** Live processes whose environment holds the marker, read straight from /proc. */
export function markedPids(marker: TreeMarker): number[] {
  const entry = `${marker.name}=${marker.value}`;
  return [...readProcTable().values()]
    .filter((info) => !isGone(info) && info.pid !== process.pid)
    .filter((info) => readEnviron(info.pid)?.split('\0').includes(entry))
    .map((info) => info.pid);
}

/** SIGKILLs the root's group and every marked process until none is left (a forker may race). */
function killMarked(marker: TreeMarker, rootPid: number | undefined): void {
  const kill = (pid: number): void => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  for (let round = 0; round < 100; round++) {
    if (rootPid !== undefined) kill(-rootPid);
    const left = markedPids(marker);
    if (left.length === 0) return;
    left.forEach(kill);
  }
}
