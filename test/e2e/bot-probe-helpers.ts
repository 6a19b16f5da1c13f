// Shared set-up of the bot-probe end-to-end tests: the real CLI, real fixture bots, the fake Mirai.
import type { TestContext } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeMirai } from '../helpers/fake-mirai.js';
import { fixture, runWatchdog, type WatchdogRun } from '../helpers/watchdog-process.js';
import type { LogRecord } from '../helpers/log-sink.js';

export const KEY = 'e2e-key';
export const QQ = 123456789;

export function tempDir(t: TestContext, prefix = 'bw-e2e-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Runs the real CLI on a config with fast restarts and JSON logs. On cleanup it stops the watchdog
 * (SIGTERM, then SIGKILL) and SIGKILLs the group of every bot it started, whatever happened.
 */
export function startWatchdog(t: TestContext, config: Record<string, unknown>): WatchdogRun {
  // Removed after the watchdog has stopped: it writes its state file beside the config until it exits.
  const dir = mkdtempSync(join(tmpdir(), 'bw-e2e-'));
  const file = join(dir, 'watchdog.config.json');
  writeFileSync(
    file,
    JSON.stringify({
      log: { format: 'json', level: 'debug' },
      ...config,
      restart: { initialDelay: '50ms', maxDelay: '200ms', jitter: 0, limit: { count: 0, window: '1m' }, ...((config.restart as object) ?? {}) },
    }),
  );
  const run = runWatchdog(['run', '--config', file]);
  t.after(async () => {
    if (run.child.exitCode === null && run.child.signalCode === null) {
      run.kill('SIGTERM');
      const timer = setTimeout(() => run.kill('SIGKILL'), 10_000);
      await run.exited;
      clearTimeout(timer);
    }
    for (const spawn of run.logs().filter((r) => r.event === 'child.spawn')) {
      try {
        process.kill(-(spawn.pid as number), 'SIGKILL');
      } catch {
        // gone, as it should be
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });
  return run;
}

export async function startFake(t: TestContext): Promise<FakeMirai> {
  const fake = await FakeMirai.start({ verifyKey: KEY, bots: [QQ] });
  t.after(() => fake.stop());
  return fake;
}

export type BotKind = 'qchatgpt_like.py' | 'mirai-js-bot.mjs';
export const BOTS: BotKind[] = ['qchatgpt_like.py', 'mirai-js-bot.mjs'];

/** The config fields that run a fixture bot against the fake. */
export function botConfig(kind: BotKind, fake: FakeMirai): Record<string, unknown> {
  const command = kind.endsWith('.py') ? ['python3', fixture(`bots/${kind}`)] : [process.execPath, fixture(`bots/${kind}`)];
  return { command, env: { MIRAI_URL: fake.url, MIRAI_VERIFY_KEY: KEY, MIRAI_QQ: String(QQ), PYTHONUNBUFFERED: '1' } };
}

/** Milliseconds from `fromMs` (Date.now()) to the log record's own timestamp. */
export function msSince(fromMs: number, record: LogRecord): number {
  return Date.parse(String(record.time)) - fromMs;
}
