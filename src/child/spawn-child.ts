import { spawn } from 'node:child_process';
import type { ChildExit, ChildHandle, SpawnSpec } from '../supervisor/types.js';

/**
 * Starts the bot without a shell: its own process group and session (so the whole tree can be
 * signalled), stdin inherited, stdout and stderr piped so they can be passed through and scanned.
 * Nothing is buffered and nothing is killed here: stopping is the kill-tree module's job.
 * (node:child_process directly: execa loaded ~100 modules, several MB of a long-running watchdog's
 * memory, for options this one call does not use.)
 *
 * `exited` settles when the bot's main process exits — not when its pipes close: a helper the bot
 * started may hold them open for ever, and the supervisor must see the exit (and stop that helper).
 * `outputClosed` settles once every writer has closed the pipes.
 */
export function spawnChild(spec: SpawnSpec): ChildHandle {
  const [file, ...args] = spec.command;
  let subprocess;
  try {
    subprocess = spawn(file, args, {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      stdio: ['inherit', 'pipe', 'pipe'],
      detached: true,
      windowsHide: true,
    });
  } catch (error) {
    // Synchronous refusals: a NUL byte in an argument, an invalid option.
    const exit = Promise.resolve(notStarted(error));
    return { pid: undefined, stdout: null, stderr: null, exited: exit, outputClosed: exit.then(() => undefined) };
  }
  const child = subprocess;
  // ENOENT, EACCES…: 'error' instead of 'spawn'; the pid is undefined and no 'exit' follows.
  const failed = new Promise<ChildExit>((resolve) => child.once('error', (error) => resolve(notStarted(error))));
  const exited: Promise<ChildExit> =
    child.pid === undefined ? failed : new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  // 'close': the process has exited and every stdio stream is closed; never after a failed spawn.
  const outputClosed = Promise.race([failed, new Promise((resolve) => child.once('close', resolve))]).then(() => undefined);
  if (child.pid !== undefined) child.on('error', () => {}); // a failed kill() later must not crash us
  return { pid: child.pid, stdout: child.stdout, stderr: child.stderr, exited, outputClosed };
}

function notStarted(error: unknown): ChildExit {
  const cause = error as NodeJS.ErrnoException | undefined;
  return {
    code: null,
    signal: null,
    error: { ...(cause?.code ? { code: cause.code } : {}), message: cause?.message ?? String(error) },
  };
}
