import { killTree } from '../../src/process/kill-tree.js';
import { liveness } from '../../src/state/identity.js';
import { readStateFile } from '../../src/state/state-file.js';

/**
 * Test cleanup after a watchdog was SIGKILLed: SIGKILLs the watchdog named in the state file (if
 * it still runs) and the whole tree of the bot it names, marker included. Safe to call always.
 */
export async function killFromStateFile(stateFile: string): Promise<void> {
  const read = readStateFile(stateFile);
  if (read.status !== 'ok') return;
  const { watchdog, bot } = read.state;
  if (liveness(watchdog) === 'alive') {
    try {
      process.kill(watchdog.pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  if (bot) {
    await killTree(
      { pid: bot.pid, ...(bot.startTime === undefined ? {} : { startTime: bot.startTime }) },
      { signal: 'SIGKILL', timeout: 0, marker: bot.marker },
    );
  }
}
