import { startProcess } from '../process/run-process.js';
import type { ChildHandle, SpawnSpec } from '../supervisor/types.js';

/**
 * Starts the bot through the one process runner: no shell, its own process group and session on
 * POSIX (so the whole tree can be signalled), stdin inherited, stdout and stderr piped so they can
 * be passed through and scanned. Nothing is buffered and nothing is killed here: stopping is the
 * kill-tree module's job.
 *
 * `exited` settles when the bot's main process exits — not when its pipes close: a helper the bot
 * started may hold them open for ever, and the supervisor must see the exit (and stop that helper).
 * `outputClosed` settles once every writer has closed the pipes.
 */
export function spawnChild(spec: SpawnSpec, platform: NodeJS.Platform = process.platform): ChildHandle {
  const child = startProcess({ command: spec.command, cwd: spec.cwd, env: { ...process.env, ...spec.env }, stdin: 'inherit', platform });
  return { pid: child.pid, stdout: child.stdout, stderr: child.stderr, exited: child.exited, outputClosed: child.outputClosed };
}
