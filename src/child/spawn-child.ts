import { execa } from 'execa';
import type { ChildExit, ChildHandle, SpawnSpec } from '../supervisor/types.js';

/**
 * Starts the bot without a shell: its own process group and session (so the whole tree can be
 * signalled), stdin inherited, stdout and stderr piped so they can be passed through and scanned.
 * Nothing is buffered and nothing is killed by execa: stopping is the kill-tree module's job.
 *
 * `exited` settles when the bot's main process exits — not when its pipes close: a helper the bot
 * started may hold them open for ever, and the supervisor must see the exit (and stop that helper).
 * `outputClosed` settles once every writer has closed the pipes.
 */
export function spawnChild(spec: SpawnSpec): ChildHandle {
  const [file, ...args] = spec.command;
  const subprocess = execa(file, args, {
    cwd: spec.cwd,
    env: spec.env,
    extendEnv: true,
    stdin: 'inherit',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: false,
    detached: true,
    cleanup: false,
    reject: false,
    stripFinalNewline: false,
    windowsHide: true,
  });
  const settled = subprocess.then(
    (result) => toExit(result),
    (error: unknown) => toExit(error as ExecaLikeResult),
  );
  const exited: Promise<ChildExit> =
    subprocess.pid === undefined
      ? settled // it never ran: execa's result says why
      : new Promise((resolve) => {
          subprocess.once('exit', (code, signal) => resolve({ code, signal }));
        });
  const outputClosed = settled.then(() => undefined);
  return { pid: subprocess.pid, stdout: subprocess.stdout, stderr: subprocess.stderr, exited, outputClosed };
}

interface ExecaLikeResult {
  exitCode?: number | undefined;
  signal?: string | undefined;
  failed?: boolean;
  code?: string | undefined;
  originalMessage?: string | undefined;
  shortMessage?: string | undefined;
  message?: string;
  cause?: unknown;
}

function toExit(result: ExecaLikeResult): ChildExit {
  const signal = (result.signal as NodeJS.Signals | undefined) ?? null;
  const code = result.exitCode ?? null;
  if (code === null && signal === null && result.failed) {
    // It never ran: ENOENT, EACCES, a bad cwd…
    const cause = result.cause as NodeJS.ErrnoException | undefined;
    const errno = result.code ?? cause?.code;
    const message = cause?.message ?? result.originalMessage ?? result.shortMessage ?? result.message ?? 'spawn failed';
    return { code: null, signal: null, error: { ...(errno ? { code: errno } : {}), message } };
  }
  return { code, signal };
}
