// The differential link verdict under the real CLI (issue 16.1): a bot that LISTENS for NapCat
// (reverse WebSocket, probes.link.listen) while NapCat also dials the watchdog
// (backend.kind "onebot-reverse"). NapCat out (linked to neither) is never a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LINK_GRACE_MS, setup } from './napcat-helpers.js';

test('NapCat gone for 12 s (linked to neither), probes.link.grace 3 s: backend.down, 0 bot restarts; the bot answers once NapCat is back', async (t) => {
  const { run, napcat } = await setup(t);
  let toBot = napcat('bot');
  let toWatchdog = napcat('watchdog');
  await run.waitForEvent('backend.ready', undefined, 20_000);
  await toBot.waitForOpen(true);
  toBot.privateMessage(42, 'hello');
  await toBot.waitForAction((a) => a.params['message'] === 'echo: hello');
  // The bot is up: linked to both, past its startup grace.
  await run.waitForEvent('probe.link.target');
  await new Promise((resolve) => setTimeout(resolve, 2000));

  const goneAt = Date.now();
  await toBot.stop();
  await toWatchdog.stop();
  const down = await run.waitForEvent('backend.down', undefined, 10_000);
  assert.equal(down['probe'], 'onebot-reverse');
  await new Promise((resolve) => setTimeout(resolve, 12_000 - (Date.now() - goneAt)));
  assert.deepEqual(run.logs().filter((r) => r.event === 'child.stop'), [], 'NapCat out is never the bot\'s fault');

  const backAt = Date.now();
  toWatchdog = napcat('watchdog');
  toBot = napcat('bot');
  await toBot.waitForOpen(true);
  toBot.privateMessage(42, 'back?');
  await toBot.waitForAction((a) => a.params['message'] === 'echo: back?');
  const answeredMs = Date.now() - backAt;
  assert.ok(answeredMs < 10_000, `answered ${answeredMs} ms after NapCat came back`);
  await run.waitForEvent('backend.ready', (r) => r['downMs'] !== undefined, 10_000);
  // Past the link's grace with NapCat back: still no restart.
  await new Promise((resolve) => setTimeout(resolve, LINK_GRACE_MS + 1000));
  assert.deepEqual(run.logs().filter((r) => r.event === 'child.stop'), []);
  assert.equal(run.logs().filter((r) => r.event === 'child.spawn').length, 1);
});

