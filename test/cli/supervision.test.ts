import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture, runWatchdog } from '../helpers/watchdog-process.js';

/** Writes a config for a fixture bot with fast timings and returns the CLI args. */
function configFor(command: string[], extra: Record<string, unknown> = {}): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'bw-sup-'));
  const file = join(dir, 'watchdog.config.json');
  const restart = { initialDelay: '50ms', maxDelay: '200ms', jitter: 0, ...((extra.restart as object) ?? {}) };
  writeFileSync(file, JSON.stringify({ command, log: { format: 'json', level: 'debug' }, ...extra, restart }));
  return ['run', '--config', file];
}

const node = process.execPath;

test('policy always: a crashing bot is restarted with backoff, each spawn logged', async () => {
  const run = runWatchdog(configFor([node, fixture('bots/crash.mjs'), '3'], { restart: { limit: { count: 0, window: '1m' } } }));
  await run.waitForEvent('child.spawn', () => run.logs().filter((r) => r.event === 'child.spawn').length >= 3);
  run.kill('SIGTERM');
  await run.exited;
  const exits = run.logs().filter((r) => r.event === 'child.exit');
  assert.ok(exits.length >= 2);
  assert.equal(exits[0]?.code, 3);
  assert.equal(typeof exits[0]?.uptimeMs, 'number');
  const scheduled = run.logs().filter((r) => r.event === 'restart.scheduled');
  assert.deepEqual(scheduled.slice(0, 2).map((r) => [r.reason, r.attempt, r.delayMs]), [
    ['exited', 1, 50],
    ['exited', 2, 100],
  ]);
});

test('policy on-failure: exit 0 ends the watchdog with 0', async () => {
  const run = runWatchdog(configFor([node, fixture('bots/crash.mjs'), '0'], { restart: { policy: 'on-failure' } }));
  assert.equal((await run.exited).code, 0);
  assert.equal(run.logs().filter((r) => r.event === 'child.spawn').length, 1);
  assert.equal(run.logs().at(-1)?.event, 'watchdog.exit');
});

test('policy never: the watchdog exits with the bot\'s code', async () => {
  const run = runWatchdog(configFor([node, fixture('bots/crash.mjs'), '7'], { restart: { policy: 'never' } }));
  assert.equal((await run.exited).code, 7);
});

test('give-up after restart.limit: exit 3 and restart.giveup logged', async () => {
  const run = runWatchdog(configFor([node, fixture('bots/crash.mjs'), '1'], { restart: { limit: { count: 2, window: '1m' } } }));
  assert.equal((await run.exited).code, 3);
  assert.equal(run.logs().filter((r) => r.event === 'child.spawn').length, 3);
  const giveup = run.logs().find((r) => r.event === 'restart.giveup');
  assert.equal(giveup?.restarts, 2);
  assert.equal(giveup?.window, 60_000);
});

test('SIGTERM reaches the bot; its exit code is kept (0 for a clean shutdown)', async () => {
  const run = runWatchdog(configFor([node, fixture('bots/healthy.mjs')]));
  await run.waitForStdout(/healthy: ready/);
  run.kill('SIGTERM');
  assert.equal((await run.exited).code, 0);
  assert.match(run.stdout(), /healthy: got SIGTERM/);
  const stop = run.logs().find((r) => r.event === 'child.stop');
  assert.equal(stop?.reason, 'shutdown');
  assert.equal(run.logs().find((r) => r.event === 'watchdog.exit')?.code, 0);
});

test('SIGINT and SIGQUIT are forwarded as themselves; a bot killed by one gives 128+signal', async () => {
  for (const [signal, code] of [['SIGINT', 130], ['SIGQUIT', 131]] as const) {
    const run = runWatchdog(configFor(['sleep', '1000']));
    await run.waitForEvent('child.spawn');
    run.kill(signal);
    assert.equal((await run.exited).code, code);
    assert.equal(run.logs().find((r) => r.event === 'child.kill')?.signal, signal);
  }
});

test('a bot that ignores SIGTERM gets SIGKILL after stop.timeout', async () => {
  const run = runWatchdog(configFor([node, fixture('bots/ignore-term.mjs')], { stop: { timeout: '300ms' } }));
  await run.waitForStdout(/ignore-term: ready/);
  run.kill('SIGTERM');
  assert.equal((await run.exited).code, 137);
  assert.match(run.stdout(), /ignoring SIGTERM/);
  const kills = run.logs().filter((r) => r.event === 'child.kill').map((r) => r.signal);
  assert.deepEqual([kills[0], kills.at(-1)], ['SIGTERM', 'SIGKILL']);
});

test('a second SIGTERM kills at once, without waiting for stop.timeout', async () => {
  const run = runWatchdog(configFor([node, fixture('bots/ignore-term.mjs')], { stop: { timeout: '1h' } }));
  await run.waitForStdout(/ignore-term: ready/);
  run.kill('SIGTERM');
  await run.waitForStdout(/ignoring SIGTERM/);
  run.kill('SIGTERM');
  assert.equal((await run.exited).code, 137);
  assert.ok(run.logs().some((r) => r.event === 'watchdog.force'));
});

test('SIGHUP restarts the bot now, without backoff', async () => {
  const run = runWatchdog(configFor([node, fixture('bots/healthy.mjs')], { restart: { initialDelay: '1h', maxDelay: '1h' } }));
  const first = await run.waitForEvent('child.spawn');
  await run.waitForStdout(/healthy: ready/);
  run.kill('SIGHUP');
  const second = await run.waitForEvent('child.spawn', (r) => r.pid !== first.pid);
  assert.notEqual(second.pid, first.pid);
  assert.equal(run.logs().find((r) => r.event === 'child.stop')?.reason, 'sighup');
  await run.waitForStdout(new RegExp(`healthy: ready pid=${second.pid}`));
  run.kill('SIGTERM');
  assert.equal((await run.exited).code, 0);
});

test('a busy-hanging bot still goes down on SIGTERM', async () => {
  const run = runWatchdog(configFor([node, fixture('bots/busy-hang.mjs')]));
  await run.waitForStdout(/busy-hang: ready/);
  run.kill('SIGTERM');
  assert.equal((await run.exited).code, 143);
});
