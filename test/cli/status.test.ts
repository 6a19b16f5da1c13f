import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killFromStateFile } from '../helpers/state-cleanup.js';
import { fixture, runWatchdog } from '../helpers/watchdog-process.js';

function project() {
  const dir = mkdtempSync(join(tmpdir(), 'bw-status-'));
  const config = join(dir, 'watchdog.config.json');
  writeFileSync(config, JSON.stringify({ command: [process.execPath, fixture('bots/healthy.mjs')], log: { format: 'json' } }));
  return { dir, config, stateFile: join(dir, '.bot-watchdog', 'state.json') };
}

async function status(args: string[]) {
  const run = runWatchdog(['status', ...args]);
  const { code } = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

const JSON_FIELDS = ['stateFile', 'running', 'watchdog', 'bot', 'restarts', 'lastRestart', 'lastExit', 'probes', 'updatedAt', 'error'];

test('status: never ran (3), running (0), killed with an orphaned bot (1), stopped (3)', async () => {
  const { config, stateFile } = project();
  const none = await status(['--config', config]);
  assert.equal(none.code, 3);
  assert.match(none.stderr, /no state file at .*state\.json/);

  const run = runWatchdog(['run', '--config', config]);
  let second;
  try {
    const spawn = await run.waitForEvent('child.spawn');
    await run.waitForStdout(/healthy: ready/);
    const running = await status(['--config', config]);
    assert.equal(running.code, 0, running.stderr);
    assert.match(running.stdout, new RegExp(`^watchdog +running, pid ${run.pid}, up \\S+, running$`, 'm'));
    assert.match(running.stdout, new RegExp(`^bot +running, pid ${spawn.pid}, up \\S+: .*healthy\\.mjs$`, 'm'));
    assert.match(running.stdout, /^restarts +0$/m);
    assert.match(running.stdout, /^state file +.*state\.json \(updated /m);

    const json = await status(['--config', config, '--json']);
    assert.equal(json.code, 0);
    const report = JSON.parse(json.stdout) as Record<string, any>;
    assert.deepEqual(Object.keys(report), JSON_FIELDS);
    assert.equal(report.running, true);
    assert.equal(report.watchdog.pid, run.pid);
    assert.equal(report.bot.pid, spawn.pid);
    assert.equal(report.bot.alive, true);
    assert.equal(typeof report.bot.uptimeMs, 'number');

    run.kill('SIGKILL');
    await run.exited;
    const killed = await status(['--config', config]);
    assert.equal(killed.code, 1);
    assert.match(killed.stdout, /^watchdog +not running: pid \d+ died while running \(killed\?\)/m);
    assert.match(killed.stdout, /^bot +running, pid \d+, .*\(orphaned: the next run stops it\)$/m);

    second = runWatchdog(['run', '--config', config]);
    await second.waitForEvent('orphan.found');
    await second.waitForStdout(/healthy: ready/);
    second.kill('SIGTERM');
    assert.equal((await second.exited).code, 0);
    const stopped = await status(['--config', config, '--json']);
    assert.equal(stopped.code, 3);
    const after = JSON.parse(stopped.stdout) as Record<string, any>;
    assert.equal(after.running, false);
    assert.equal(after.watchdog.state, 'stopped');
    assert.equal(after.bot, null);
    assert.equal(after.lastExit.code, 0);
  } finally {
    run.kill('SIGKILL');
    second?.kill('SIGKILL');
    await run.exited;
    await second?.exited;
    await killFromStateFile(stateFile);
  }
});

test('status with an unreadable state file or a bad config: 4 (unknown)', async () => {
  const { dir, config, stateFile } = project();
  mkdirSync(join(dir, '.bot-watchdog'), { recursive: true });
  writeFileSync(stateFile, 'garbage');
  const unreadable = await status(['--config', config]);
  assert.equal(unreadable.code, 4);
  assert.match(unreadable.stderr, /cannot read the state file .*: not valid JSON/);
  writeFileSync(config, '{ bad json');
  assert.equal((await status(['--config', config])).code, 4);
  assert.equal((await status(['--config', config, '--nope'])).code, 4);
});
