// A real watchdog (the built CLI) with the status endpoint on a free port, supervising a heartbeat
// fixture bot beside a fake mirai-api-http; and promtool to check what /metrics says.
import type { TestContext } from 'node:test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeMirai } from './fake-mirai.js';
import { fixture, runWatchdog, type WatchdogRun } from './watchdog-process.js';

export const KEY = 'endpoint-Verify-Key-91c2';
export const QQ = 123456789;

export interface Supervised {
  run: WatchdogRun;
  port: number;
  config: string;
  dir: string;
  botPid: number;
  mirai: FakeMirai;
}

/** Starts the watchdog (status.listen on a free port unless `status` says otherwise); stopped when the test ends. */
export async function startWatchdog(
  t: TestContext,
  status: Record<string, unknown> = {},
  options: { /** The heartbeat file's name (it shows in the bot's command line and the probe's reason). */ heartbeatName?: string } = {},
): Promise<{ run: WatchdogRun; config: string; dir: string; mirai: FakeMirai }> {
  const mirai = await FakeMirai.start({ verifyKey: KEY, bots: [QQ] });
  const dir = mkdtempSync(join(tmpdir(), 'bw-endpoint-'));
  const config = join(dir, 'watchdog.config.json');
  const heartbeat = join(dir, options.heartbeatName ?? 'heartbeat');
  // Fresh before the bot even starts: a slow start on a busy machine must not look like a hang.
  writeFileSync(heartbeat, '');
  writeFileSync(
    config,
    JSON.stringify({
      command: [process.execPath, fixture('bots/heartbeat-bot.mjs'), heartbeat, '100'],
      backend: { kind: 'mirai', url: mirai.url, verifyKey: KEY, qq: QQ },
      probes: {
        backend: { interval: '200ms', timeout: '2s', failureThreshold: 2 },
        websocket: { pingInterval: '300ms', pongTimeout: '3s' },
        heartbeat: { file: heartbeat, maxAge: '10s', interval: '200ms' },
      },
      startup: { grace: '300ms' },
      restart: { initialDelay: '50ms', maxDelay: '200ms', jitter: 0 },
      stop: { timeout: '3s' },
      log: { format: 'json', level: 'debug' },
      status: { listen: '127.0.0.1:0', ...status },
    }),
  );
  const run = runWatchdog(['run', '--config', config]);
  t.after(async () => {
    if (run.child.exitCode === null && run.child.signalCode === null) run.kill('SIGTERM');
    await run.exited;
    await mirai.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { run, config, dir, mirai };
}

/** A watchdog with the status endpoint listening and its bot started. */
export async function superviseWithEndpoint(
  t: TestContext,
  status: Record<string, unknown> = {},
  options: { heartbeatName?: string } = {},
): Promise<Supervised> {
  const { run, config, dir, mirai } = await startWatchdog(t, status, options);
  const listening = await run.waitForEvent('status.listening');
  const spawn = await run.waitForEvent('child.spawn');
  return { run, port: Number(listening.port), config, dir, botPid: Number(spawn.pid), mirai };
}

/** `promtool check metrics` on a text: its exit code and what it said (lint problems included). */
export function promtool(text: string): { code: number | null; output: string } {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (result.error) throw new Error(`promtool is needed for this test (Debian package "prometheus"; .ci/run installs it): ${result.error.message}`);
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

