// Issue 16.7: the REAL NoneBot2 2.5.0 (OneBot v11 adapter, FastAPI driver) under the real CLI,
// NapCat played by test/helpers/fake-napcat.ts dialing both the bot and the watchdog: the bot
// answers through NapCat; its server socket closed while the process lives (deaf) → restarted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSameProcess, processStartTime } from '../../src/process/proc-stat.js';
import { skip, start } from './nonebot2-stack.js';

test('NoneBot2 answers /ping through NapCat; deaf (server socket closed, process alive) → link-lost, restarted, answers again', { skip }, async (t) => {
  // The preset's grace. It also bounds the bot's first listen after a spawn: NoneBot2 takes 1–3 s on
  // a busy 2-core machine, more under a heavy load.
  const { run, napcat, pid } = await start(t, { grace: '8s' });
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
