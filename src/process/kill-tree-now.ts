import { spawnSync } from 'node:child_process';
import { isSameProcess, procAvailable } from './proc-stat.js';
import { findTree, type TreeMarker } from './process-tree.js';

/**
 * Last resort when the watchdog itself is about to die of an unexpected error: SIGKILL the bot's
 * whole tree synchronously, so no bot is left running without its watchdog.
 */
export function killTreeNow(root: { pid: number; startTime?: number }, marker: TreeMarker, platform: NodeJS.Platform = process.platform): number[] {
  if (platform === 'win32') {
    // No groups, no /proc: taskkill ends the root and its descendants (synchronously: we are dying).
    spawnSync('taskkill', ['/pid', String(root.pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true, timeout: 5000 });
    return [root.pid];
  }
  const pids = new Set<number>();
  // A pid taken over by another process since is not the bot: leave it (and its group) alone.
  const rootIsBot = root.startTime === undefined || !procAvailable() || isSameProcess(root.pid, root.startTime);
  if (rootIsBot) {
    try {
      process.kill(-root.pid, 'SIGKILL');
    } catch {
      // the group is gone already
    }
    pids.add(root.pid);
  }
  if (procAvailable()) {
    for (const info of findTree(root, { marker })) pids.add(info.pid);
  }
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone, or not ours
    }
  }
  return [...pids];
}
