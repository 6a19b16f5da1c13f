// Issue 16.4 end to end: `init` in a NoneBot2 project with its own .venv writes a config that runs
// the REAL NoneBot2 with that venv (no system python3 involved), and the bot answers through NapCat.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../helpers/framework-configs.js';
import { requireVenv } from '../helpers/framework-venv.js';
import { NapCatInstance } from '../helpers/napcat-instance.js';
import { BIN, fixture, runWatchdog } from '../helpers/watchdog-process.js';
import { skip } from './nonebot2-stack.js';

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
