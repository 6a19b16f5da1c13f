import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { identityOf } from '../../src/state/identity.js';
import { writeStateFile } from '../../src/state/state-file.js';
import { sampleState } from '../state/sample-state.js';
import { fixture, runWatchdog } from '../helpers/watchdog-process.js';

/** A folder with a config for the healthy fixture bot; its state file is the default one. */
function project(extra: Record<string, unknown> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'bw-check-'));
  const config = join(dir, 'watchdog.config.json');
  writeFileSync(config, JSON.stringify({ command: [process.execPath, fixture('bots/healthy.mjs')], log: { format: 'json' }, ...extra }));
  return { dir, config, stateFile: join(dir, '.bot-watchdog', 'state.json') };
}

async function check(args: string[], cwd?: string) {
  const run = runWatchdog(['check', ...args], cwd ? { cwd } : {});
  const { code } = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

const JSON_FIELDS = ['status', 'exitCode', 'verdict', 'checkedAt', 'durationMs', 'config', 'probes', 'failures', 'action', 'errors'];

test('a running watchdog and bot: exit 0; one line per probe; --json has the documented fields', async () => {
  const { config } = project();
  const run = runWatchdog(['run', '--config', config]);
  try {
    const spawn = await run.waitForEvent('child.spawn');
    await run.waitForStdout(/healthy: ready/);
    const human = await check(['--config', config]);
    assert.equal(human.code, 0, human.stdout + human.stderr);
    const [line, summary] = human.stdout.trimEnd().split('\n');
    assert.match(line ?? '', new RegExp(`^bot-process  healthy  \\d+ms  bot pid ${spawn.pid} up \\S+, watchdog pid ${run.pid}$`));
    assert.equal(summary, 'healthy (exit 0)');
    assert.equal(human.stderr, '');

    const json = await check(['--config', config, '--json']);
    assert.equal(json.code, 0);
    const report = JSON.parse(json.stdout) as Record<string, unknown>;
    assert.deepEqual(Object.keys(report), JSON_FIELDS);
    assert.equal(report.status, 'healthy');
    assert.equal(report.config, config);
    const probe = (report.probes as Record<string, unknown>[])[0]!;
    assert.deepEqual(Object.keys(probe), ['probe', 'verdict', 'reason', 'latencyMs', 'details']);
    assert.equal((probe.details as Record<string, unknown>).botPid, spawn.pid);
  } finally {
    run.kill('SIGTERM');
    await run.exited;
  }
  const after = await check(['--config', config]);
  assert.equal(after.code, 1, 'the watchdog has exited: unhealthy');
  assert.match(after.stdout, /^bot-process {2}unhealthy {2}\d+ms {2}the watchdog \(pid \d+\) exited/);
});

test('could not check → exit 3, never 2: bad config, bad options, unknown --only, nothing configured', async () => {
  const { dir, config } = project({ restart: { maxDelay: 'fast' } });
  const bad = await check(['--config', config]);
  assert.equal(bad.code, 3);
  assert.match(bad.stderr, /restart\.maxDelay: expected a duration/);
  const badJson = await check(['--config', config, '--json']);
  assert.equal(badJson.code, 3);
  const report = JSON.parse(badJson.stdout) as { status: string; errors: string[] };
  assert.equal(report.status, 'cannot-check');
  assert.match(report.errors[0] ?? '', /restart\.maxDelay/);

  for (const args of [['--bogus'], ['--failures', 'x'], ['--failures', '0'], ['--timeout', '0'], ['extra-argument'], ['--only']]) {
    const result = await check(args, dir);
    assert.equal(result.code, 3, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, /error: /);
  }
  const good = project();
  assert.equal((await check(['--config', good.config])).code, 3, 'no probe configured and no state file');
  writeStateFile(good.stateFile, sampleState());
  const unknown = await check(['--config', good.config, '--only', 'heartbeat']);
  assert.equal(unknown.code, 3);
  assert.match(unknown.stderr, /--only: probe "heartbeat" is not configured here \(configured: bot-process\)/);
  writeFileSync(good.stateFile, '{ torn');
  const torn = await check(['--config', good.config]);
  assert.equal(torn.code, 3, 'an unreadable state file');
  assert.match(torn.stdout, /bot-process {2}misconfigured .*cannot read the state file/);
});

test('cron: --failures 2 with --state; --on-unhealthy runs once via /bin/sh, reported, then cools down', async () => {
  const { dir, config, stateFile } = project();
  // A watchdog that was killed: its pid is no longer that process.
  const me = identityOf(process.pid);
  writeStateFile(stateFile, sampleState({ watchdog: { ...sampleState().watchdog, ...me, startTime: (me.startTime ?? 0) + 1 }, bot: null }));
  const memory = join(dir, 'check-memory.json');
  const actions = join(dir, 'actions.log');
  const args = [
    '--config', config, '--json', '--state', memory, '--failures', '2', '--cooldown', '1h',
    '--on-unhealthy', `echo "restart after $BOT_WATCHDOG_CHECK_FAILURES failures" >> '${actions}'; echo done; exit 4`,
  ];
  const runs = [];
  for (let i = 0; i < 3; i++) {
    const result = await check(args);
    runs.push({ code: result.code, report: JSON.parse(result.stdout) as Record<string, any> });
  }
  assert.deepEqual(runs.map((r) => r.code), [0, 1, 1]);
  assert.deepEqual(runs.map((r) => r.report.verdict), ['unhealthy', 'unhealthy', 'unhealthy']);
  assert.deepEqual(runs.map((r) => r.report.failures.consecutive), [1, 2, 3]);
  assert.equal(runs[0]!.report.action.ran, false);
  const acted = runs[1]!.report.action;
  assert.equal(acted.ran, true);
  assert.equal(acted.exitCode, 4);
  assert.equal(acted.output, 'done\n');
  assert.equal(acted.timedOut, false);
  assert.equal(runs[2]!.report.action.skipped, 'cooldown');
  assert.equal(readFileSync(actions, 'utf8'), 'restart after 2 failures\n');

  const human = await check(args.filter((a) => a !== '--json'));
  assert.match(human.stdout, /unhealthy \(exit 1\): 4 failures in a row since/);
  assert.match(human.stdout, /on-unhealthy: not run again before .* \(--cooldown\)/);
});

test('--state must not be the watchdog\'s own state file', async () => {
  const { config, stateFile } = project();
  writeStateFile(stateFile, sampleState());
  const result = await check(['--config', config, '--state', stateFile, '--failures', '2']);
  assert.equal(result.code, 3);
  assert.match(result.stderr, /that is the watchdog's own state file/);
  assert.equal(JSON.parse(readFileSync(stateFile, 'utf8')).version, 1, 'left as it was');
  assert.ok(existsSync(stateFile));
});

test('--help lists check and status; check --help shows the exit codes and exits 0', async () => {
  const help = runWatchdog(['--help']);
  assert.equal((await help.exited).code, 0);
  assert.match(help.stdout(), /^ {2}check \[options\] /m);
  assert.match(help.stdout(), /^ {2}status \[options\] /m);
  const checkHelp = runWatchdog(['check', '--help']);
  assert.equal((await checkHelp.exited).code, 0);
  assert.match(checkHelp.stdout(), /Exit codes: 0 healthy, 1 unhealthy, 3 could not check/);
  assert.match(checkHelp.stdout(), /--on-unhealthy <command>/);
});
