// Issue 16.7: the REAL NoneBot2 2.5.0 whose handler blocks the event loop (time.sleep): NapCat's
// bytes wait unread → link-stalled, the bot SIGKILLed at once (the preset's stop.hungTimeout "0s":
// uvicorn never reads its SIGTERM flag), the new one answers again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { skip, start } from './nonebot2-stack.js';

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
  // The preset's stop.hungTimeout ("0s"): uvicorn would never read its SIGTERM flag, so no wait for it.
  assert.equal(stop.killAfterMs, 0);
  const kill = await run.waitForEvent('child.kill', (r) => r.signal === 'SIGKILL' && (r.pids as number[]).includes(pid), 5000);
  assert.ok(Date.parse(String(kill.time)) - Date.parse(String(stop.time)) < 1000, 'SIGKILL right after the stop');
  await run.waitForEvent('child.spawn', (r) => r.pid !== pid, 15_000);
  await napcat.untilAnswers(20_000);
  assert.equal(run.logs().filter((r) => r.event === 'child.stop').length, 1, 'one restart');
});
