// Issue 16.7: the REAL YiriMirai-rc 0.2.7.3, in a bot written like QChatGPT 2.6 (bot.run() in a
// thread: a closed link leaves the process alive and deaf, only its output says so), under the
// real CLI with the qchatgpt preset's config (restarts fast, as in every e2e test), against test/helpers/fake-mirai.ts.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { startWatchdog } from '../e2e/bot-probe-helpers.js';
import { FakeMirai } from '../helpers/fake-mirai.js';
import { requireVenv, skipWithoutVenv } from '../helpers/framework-venv.js';
import { untilPong as pong } from '../helpers/mirai-ping.js';
import { MIRAI_KEY, MIRAI_QQ, freePort, yiriMiraiPreset } from '../helpers/framework-configs.js';

const untilPong = (mirai: FakeMirai, timeoutMs: number) => pong(mirai, MIRAI_QQ, timeoutMs, 300);

const skip = skipWithoutVenv('.venv-yirimirai');

/** The preset's config; its restart.initialDelay (300 ms) kept, under the e2e helper's short maxDelay cap raised to match. */
function preset(python: string, port: number): Record<string, unknown> {
  const config = yiriMiraiPreset(python, port);
  config['restart'] = { ...config['restart'], maxDelay: '1s' };
  return config;
}

async function startMirai(t: TestContext, port = 0): Promise<FakeMirai> {
  const mirai = await FakeMirai.start({ verifyKey: MIRAI_KEY, bots: [MIRAI_QQ], port });
  t.after(() => mirai.stop());
  return mirai;
}

test('YiriMirai bot (QChatGPT 2.6 shape): its link to mirai dropped → "WebSocket 通道意外关闭" → restarted, answers again', { skip }, async (t) => {
  const python = requireVenv('.venv-yirimirai');
  const mirai = await startMirai(t);
  const run = startWatchdog(t, preset(python, mirai.port));
  const spawned = await run.waitForEvent('child.spawn');
  await untilPong(mirai, 20_000);
  const bot = mirai.connections().find((c) => c.path === '/all');
  assert.ok(bot, 'the bot linked at /all');
  mirai.dropConnection((c) => c.path === '/all');
  const stop = await run.waitForEvent('child.stop', (r) => r.pid === spawned.pid, 10_000);
  assert.equal(stop.reason, 'output-match');
  await run.waitForEvent('child.spawn', (r) => r.pid !== spawned.pid, 10_000);
  await untilPong(mirai, 20_000);
});

test('YiriMirai bot started before mirai: waits for it ("backend.waiting"), answers once mirai is up', { skip }, async (t) => {
  const python = requireVenv('.venv-yirimirai');
  const port = await freePort();
  const run = startWatchdog(t, preset(python, port));
  await run.waitForEvent('backend.waiting');
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const mirai = await startMirai(t, port);
  await untilPong(mirai, 20_000);
  // Started once, when mirai answered: never a bot that could only fail to connect.
  const ready = await run.waitForEvent('backend.ready');
  const spawns = run.logs().filter((r) => r.event === 'child.spawn');
  assert.equal(spawns.length, 1);
  assert.ok(Date.parse(String(spawns[0]?.time)) >= Date.parse(String(ready.time)));
});
