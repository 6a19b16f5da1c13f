// Issue 16.7: the REAL NoneBot2 2.5.0 (OneBot v11 adapter, FastAPI driver) under the real CLI,
// NapCat played by test/helpers/fake-napcat.ts dialing both the bot and the watchdog. The bot
// answers through NapCat; a handler that blocks the loop (hung) and a server socket closed while
// the process lives (deaf) are each restarted, and the new bot answers again.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processStartTime, isSameProcess } from '../../src/process/proc-stat.js';
import { startWatchdog } from '../e2e/bot-probe-helpers.js';
import { requireVenv, skipWithoutVenv } from '../helpers/framework-venv.js';
import { BIN, fixture, runWatchdog } from '../helpers/watchdog-process.js';
import { NapCatInstance } from '../helpers/napcat-instance.js';
import { freePort, noneBotPreset } from '../helpers/framework-configs.js';

const skip = skipWithoutVenv('.venv-nonebot');
const STARTUP_GRACE_MS = 3000;

async function start(t: TestContext, link: Record<string, unknown>) {
  const python = requireVenv('.venv-nonebot');
  const ports = { bot: await freePort(), watchdog: await freePort() };
  // The preset's config with a test's timings: sampled often, short graces.
  const config = noneBotPreset(python, ports);
  config['probes'].link = { ...config['probes'].link, interval: '200ms', ...link };
  config['startup'] = { grace: `${STARTUP_GRACE_MS}ms` };
  config['stop'] = { timeout: '2s' };
  const run = startWatchdog(t, config);
  const napcat = NapCatInstance.start({
    botUrl: `ws://127.0.0.1:${ports.bot}/onebot/v11/ws`,
    watchdogUrl: `ws://127.0.0.1:${ports.watchdog}/`,
    reconnectInterval: 300,
    heartbeatInterval: 1000,
  });
  t.after(() => napcat.stop());
  const spawned = await run.waitForEvent('child.spawn');
  await napcat.untilAnswers(20_000).catch((error: Error) => {
    throw new Error(`${error.message}\n--- watchdog ---\n${run.stderr().slice(-3000)}\n--- bot ---\n${run.stdout().slice(-3000)}`);
  });
  // Past the startup grace: faults count.
  const graceEnds = Date.parse(String(spawned.time)) + STARTUP_GRACE_MS + 200;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, graceEnds - Date.now())));
  return { run, napcat, pid: spawned.pid as number };
}

test('NoneBot2 answers /ping through NapCat; deaf (server socket closed, process alive) → link-lost, restarted, answers again', { skip }, async (t) => {
  // The grace also bounds the bot's first listen after a spawn: NoneBot2 takes 1–3 s on a busy 2-core machine.
  const { run, napcat, pid } = await start(t, { grace: '6s' });
  const started = processStartTime(pid) as number;
  assert.ok(napcat.message('/deaf'));
  await run.waitForStdout(/nonebot2-bot: closing the server socket/);
  const stop = await run.waitForEvent('child.stop', (r) => r.pid === pid, 15_000);
  assert.equal(stop.reason, 'link-lost');
  await run.waitForEvent('child.spawn', (r) => r.pid !== pid, 15_000);
  await napcat.untilAnswers(20_000);
  assert.equal(isSameProcess(pid, started), false, 'the deaf bot is gone');
  assert.equal(run.logs().filter((r) => r.event === 'child.stop').length, 1, 'one restart');
});

test('NoneBot2 whose handler blocks the event loop (time.sleep) → link-stalled, killed, answers again', { skip }, async (t) => {
  const { run, napcat, pid } = await start(t, { grace: '30s', stall: '3s' });
  assert.ok(napcat.message('/hang'));
  await run.waitForStdout(/nonebot2-bot: blocking the event loop/);
  // NapCat keeps sending (heartbeats each second, a user pinging again): bytes wait unread.
  const pinging = setInterval(() => napcat.message('/ping'), 500);
  t.after(() => clearInterval(pinging));
  const stop = await run.waitForEvent('child.stop', (r) => r.pid === pid, 20_000);
  clearInterval(pinging);
  assert.equal(stop.reason, 'link-stalled');
  await run.waitForEvent('child.spawn', (r) => r.pid !== pid, 15_000);
  await napcat.untilAnswers(20_000);
  assert.equal(run.logs().filter((r) => r.event === 'child.stop').length, 1, 'one restart');
});

test('init in a NoneBot2 project with its own .venv: the config it writes runs the bot with that venv, and the bot answers', { skip }, async (t) => {
  const python = requireVenv('.venv-nonebot');
  const dir = mkdtempSync(join(tmpdir(), 'bw-nb-project-'));
  const ports = { bot: await freePort(), watchdog: await freePort() };
  // What `nb create` leaves: pyproject.toml, .env, bot.py, and the project's .venv (here: the test venv).
  writeFileSync(join(dir, 'pyproject.toml'), '[project]\nname = "mybot"\ndependencies = ["nonebot2[fastapi]>=2.5", "nonebot-adapter-onebot"]\n');
  writeFileSync(join(dir, '.env'), `DRIVER=~fastapi\nHOST=127.0.0.1\nPORT=${ports.bot}\n`);
  copyFileSync(fixture('bots/nonebot2_bot.py'), join(dir, 'bot.py'));
  symlinkSync(join(python, '..', '..'), join(dir, '.venv'));
  const init = spawnSync(process.execPath, [BIN, 'init'], { cwd: dir, encoding: 'utf8' });
  assert.equal(init.status, 0, init.stderr);
  assert.match(init.stdout, /preset nonebot2, recognised from pyproject\.toml/);
  assert.match(init.stdout, new RegExp(`from \\.env: the bot listens on port ${ports.bot}`));
  assert.match(init.stdout, /found the virtual environment \.venv: the bot runs with \.venv\/bin\/python/);
  // Only what a test machine needs: the watchdog's own port for NapCat, JSON logs.
  const file = join(dir, 'watchdog.config.json');
  const config = JSON.parse(readFileSync(file, 'utf8')) as Record<string, any>;
  assert.deepEqual(config['command'], ['.venv/bin/python', 'bot.py']);
  config['backend'].listen = `127.0.0.1:${ports.watchdog}`;
  config['log'] = { format: 'json' };
  writeFileSync(file, JSON.stringify(config));
  const run = runWatchdog(['run'], { cwd: dir, env: { PATH: '/usr/bin:/bin' } });
  t.after(async () => {
    run.kill('SIGTERM');
    await run.exited;
    rmSync(dir, { recursive: true, force: true });
  });
  const napcat = NapCatInstance.start({ botUrl: `ws://127.0.0.1:${ports.bot}/onebot/v11/ws`, watchdogUrl: `ws://127.0.0.1:${ports.watchdog}/`, reconnectInterval: 300 });
  t.after(() => napcat.stop());
  await napcat.untilAnswers(30_000);
  assert.equal(run.logs().filter((r) => r.event === 'child.stop').length, 0);
});
