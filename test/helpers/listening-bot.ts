// Runs a fixture bot that LISTENS (test/fixtures/bots/aiocqhttp_like.py, blocking_loop_bot.py,
// reverse-ws-bot.mjs) as its own process group and waits for its "listening on host:port" line.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fixture } from './watchdog-process.js';

export interface ListeningBot {
  child: ChildProcess;
  pid: number;
  port: number;
  /** Every stdout line so far. */
  lines: string[];
  /** Resolves when a stdout line matches (one already printed too). */
  waitForLine: (pattern: RegExp, timeoutMs?: number) => Promise<string>;
  stop: () => Promise<void>;
}

/** The argv that runs a fixture bot: python3 for .py, this Node for .mjs. */
export function botCommand(name: string): string[] {
  return name.endsWith('.py') ? ['python3', fixture(`bots/${name}`)] : [process.execPath, fixture(`bots/${name}`)];
}

export async function startListeningBot(name: string, env: Record<string, string> = {}): Promise<ListeningBot> {
  const [program, ...args] = botCommand(name) as [string, ...string[]];
  const child = spawn(program, args, { detached: true, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, PYTHONUNBUFFERED: '1', ...env } });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const w of waiters.filter((x) => x.pattern.test(line))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(line);
    }
  });
  const exited = once(child, 'exit').catch(() => undefined);
  const waitForLine = (pattern: RegExp, timeoutMs = 20_000): Promise<string> => {
    const seen = lines.find((l) => pattern.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name}: no line ${pattern} within ${timeoutMs} ms; got:\n${lines.join('\n')}`)), timeoutMs);
      waiters.push({
        pattern,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
    });
  };
  const stop = async (): Promise<void> => {
    try {
      process.kill(-(child.pid as number), 'SIGKILL');
    } catch {
      // gone
    }
    if (child.exitCode === null && child.signalCode === null) await exited;
  };
  try {
    const ready = await waitForLine(/listening on \S+:\d+ pid=\d+/);
    const port = Number(/:(\d+) pid=/.exec(ready)?.[1]);
    return { child, pid: child.pid as number, port, lines, waitForLine, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
