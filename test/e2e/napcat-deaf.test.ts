// The differential link verdict under the real CLI (issue 16.1): NapCat linked to the watchdog
// but not to the bot is a deaf bot, restarted after probes.link.grace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LINK_GRACE_MS, setup } from './napcat-helpers.js';

test('NapCat linked to the watchdog only (the bot deaf to it): the bot is restarted with link-lost after probes.link.grace', async (t) => {
  const { run, napcat } = await setup(t);
  napcat('watchdog');
  const ready = await run.waitForEvent('backend.ready', undefined, 20_000);
  const stop = await run.waitForEvent('child.stop', (r) => r.reason === 'link-lost', 20_000);
  const afterReadyMs = Date.parse(String(stop.time)) - Date.parse(String(ready.time));
  assert.ok(afterReadyMs >= LINK_GRACE_MS - 300 && afterReadyMs <= LINK_GRACE_MS + 3000, `restarted ${afterReadyMs} ms after NapCat linked the watchdog`);
  assert.match(String(stop['detail']), /NapCat is linked to the watchdog \(account 10001\) for [\d.]+s but not to the bot: it is deaf/);
  assert.equal(stop['listening'], true);
});
