import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, fixture } from '../helpers/watchdog-process.js';
import { requireTool } from '../helpers/require-tool.js';

/**
 * Logging must never stop supervision: a watchdog whose stderr is /dev/full, or a pipe nobody
 * reads, keeps the bot supervised, handles signals, writes its state file and exits with the
 * documented code.
 */
function setup(command: string[], extra: Record<string, unknown> = {}): { config: string; stateFile: string } {
  const dir = mkdtempSync(join(tmpdir(), 'bw-logsink-'));
  const config = join(dir, 'watchdog.config.json');
  writeFileSync(config, JSON.stringify({ command, log: { format: 'json', level: 'debug' }, restart: { initialDelay: '50ms', jitter: 0 }, ...extra }));
  return { config, stateFile: join(dir, '.bot-watchdog', 'state.json') };
}

interface Started {
  child: ChildProcess;
  stdout: () => string;
  waitForStdout: (pattern: RegExp, count?: number) => Promise<RegExpMatchArray[]>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(config: string, stderr: number): Started {
  const child = spawn(process.execPath, [BIN, 'run', '--config', config], { stdio: ['ignore', 'pipe', stderr] });
  let out = '';
  const waiters = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    for (const waiter of [...waiters]) waiter();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const cleanup = () => child.kill('SIGKILL');
  process.once('exit', cleanup);
  void exited.then(() => process.off('exit', cleanup));
  return {
    child,
    stdout: () => out,
    waitForStdout: (pattern, count = 1) =>
      new Promise((resolve, reject) => {
        const global = new RegExp(pattern.source, 'g');
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${count} × ${pattern} on stdout; got ${JSON.stringify(out.slice(-300))}`));
        }, 20_000);
        const check = () => {
          const matches = [...out.matchAll(global)];
          if (matches.length >= count) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(matches);
          }
        };
        waiters.add(check);
        check();
      }),
    exited,
  };
}

const withTimeout = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: not within ${ms}ms`)), ms).unref())]);

test('stderr on /dev/full: the bot is supervised (restart on SIGHUP), SIGTERM ends it with the bot\'s status', async () => {
  const { config, stateFile } = setup([process.execPath, fixture('bots/healthy.mjs')]);
  const full = openSync('/dev/full', 'w');
  const run = start(config, full);
  closeSync(full);
  const [first] = await run.waitForStdout(/healthy: ready pid=(\d+)/);
  run.child.kill('SIGHUP');
  const ready = await run.waitForStdout(/healthy: ready pid=(\d+)/, 2);
  assert.notEqual(ready[1]![1], first![1], 'a new bot after the restart');
  run.child.kill('SIGTERM');
  // The bot exits 0 on SIGTERM: the watchdog exits with the bot's status.
  assert.deepEqual(await withTimeout(run.exited, 15_000, 'exit after SIGTERM'), { code: 0, signal: null });
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as { state: string; bot: unknown; restarts: number };
  assert.equal(state.state, 'stopped');
  assert.equal(state.bot, null);
  assert.equal(state.restarts, 1);
});

test('stderr on /dev/full: a bot that exits 7 under policy "never" still gives exit 7', async () => {
  const { config } = setup([process.execPath, fixture('bots/crash.mjs'), '7'], { restart: { policy: 'never' } });
  const full = openSync('/dev/full', 'w');
  const run = start(config, full);
  closeSync(full);
  assert.deepEqual(await withTimeout(run.exited, 15_000, 'exit'), { code: 7, signal: null });
  assert.match(run.stdout(), /crash: pid=\d+ exiting with 7/);
});

test('a stderr pipe nobody reads: the watchdog still restarts the bot, handles SIGTERM and writes its state file', { skip: requireTool('mkfifo', 'coreutils') }, async () => {
  // Two 60 KB arguments: every line that names the command (watchdog.start, child.spawn) is
  // larger than a pipe holds, so the very first log line would block a synchronous writer.
  const big = ['a'.repeat(60_000), 'b'.repeat(60_000)];
  const { config, stateFile } = setup([process.execPath, fixture('bots/healthy.mjs'), ...big]);
  // A real pipe (a FIFO) whose reader never reads until the end: 64 KiB and it is full.
  const fifo = join(mkdtempSync(join(tmpdir(), 'bw-logsink-fifo-')), 'stderr');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  const readEnd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const writeEnd = openSync(fifo, constants.O_WRONLY);
  const run = start(config, writeEnd);
  closeSync(writeEnd);
  const [first] = await run.waitForStdout(/healthy: ready pid=(\d+)/);
  for (let i = 2; i <= 4; i++) {
    run.child.kill('SIGHUP');
    await run.waitForStdout(/healthy: ready pid=(\d+)/, i);
  }
  const before = Date.now();
  run.child.kill('SIGTERM');
  assert.deepEqual(await withTimeout(run.exited, 15_000, 'exit after SIGTERM'), { code: 0, signal: null });
  // The wait for the stuck reader at exit is bounded (2 s), not for ever.
  assert.ok(Date.now() - before < 10_000);
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as { state: string; bot: unknown; restarts: number };
  assert.equal(state.state, 'stopped');
  assert.equal(state.bot, null);
  assert.equal(state.restarts, 3);
  assert.ok(first);
  // What did get through is whole JSON lines, from the first one on.
  const text = readAll(readEnd);
  closeSync(readEnd);
  const lines = text.split('\n').filter(Boolean);
  assert.ok(lines.length > 0);
  assert.match(lines[0] as string, /"event":"watchdog.start"/);
  for (const line of lines.slice(0, -1)) assert.doesNotThrow(() => JSON.parse(line), line.slice(0, 100));
});

function readAll(fd: number): string {
  const buffer = Buffer.alloc(1 << 16);
  let text = '';
  for (;;) {
    try {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) return text;
      text += buffer.toString('utf8', 0, n);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return text;
      throw error;
    }
  }
}
