// The heartbeat file (issue 4), end to end: a bot frozen with SIGSTOP stops touching its file and
// must be restarted within maxAge + 2 s, its frozen tree gone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isSameProcess, processStartTime } from '../../src/process/proc-stat.js';
import { fixture } from '../helpers/watchdog-process.js';
import { waitUntil } from '../helpers/wait.js';
import { msSince, startWatchdog, tempDir } from './bot-probe-helpers.js';

const MAX_AGE_MS = 1000;

test('a bot frozen with SIGSTOP is restarted within maxAge + 2 s, and its frozen tree is gone', async (t) => {
  const file = join(tempDir(t), 'bot.log');
  const run = startWatchdog(t, {
    command: [process.execPath, fixture('bots/heartbeat-bot.mjs'), file, '100'],
    startup: { grace: '500ms' },
    probes: { heartbeat: { file, maxAge: `${MAX_AGE_MS}ms` } },
  });
  await run.waitForStdout(/heartbeat-bot: ready \d+ \d+\n/);
  const [, rootText, childText] = /heartbeat-bot: ready (\d+) (\d+)/.exec(run.stdout()) as RegExpExecArray;
  const [root, child] = [Number(rootText), Number(childText)];
  const starts = [processStartTime(root) as number, processStartTime(child) as number];

  process.kill(-root, 'SIGSTOP');
  const frozenAt = Date.now();
  const stop = await run.waitForEvent('child.stop', (r) => r.reason === 'heartbeat-stale');
  const elapsed = msSince(frozenAt, stop);
  assert.ok(elapsed <= MAX_AGE_MS + 2000, `restarted ${elapsed} ms after the freeze`);
  assert.equal(stop.pid, root);
  assert.equal(stop.file, file);
  assert.ok((stop.ageMs as number) >= MAX_AGE_MS);
  assert.equal(stop.maxAgeMs, MAX_AGE_MS);
  assert.ok(run.logs().some((r) => r.event === 'probe.failed' && r.probe === 'heartbeat' && r.file === file));

  await run.waitForEvent('child.exit', (r) => r.pid === root);
  assert.equal(isSameProcess(root, starts[0] as number), false, 'the frozen bot is gone');
  assert.equal(isSameProcess(child, starts[1] as number), false, 'its frozen child is gone');
  // The new bot beats again: no second restart while it runs.
  const second = await run.waitForEvent('child.spawn', (r) => r.pid !== root);
  await run.waitForStdout(new RegExp(`heartbeat-bot: ready ${second.pid} `));
  const since = Date.now();
  await waitUntil(() => Date.now() - since > 2 * MAX_AGE_MS, 10_000, 100);
  assert.equal(run.logs().filter((r) => r.event === 'child.stop').length, 1);
});

test('a heartbeat file that is a folder is a misconfiguration: logged once, never a restart', async (t) => {
  const dir = join(tempDir(t), 'logs');
  mkdirSync(dir);
  const run = startWatchdog(t, {
    command: [process.execPath, fixture('bots/healthy.mjs')],
    startup: { grace: '0ms' },
    probes: { heartbeat: { file: dir, maxAge: '300ms', interval: '100ms' } },
  });
  const misconfigured = await run.waitForEvent('probe.misconfigured', (r) => r.probe === 'heartbeat');
  assert.match(String(misconfigured.reason), /is a folder: point probes\.heartbeat\.file at a file the bot writes/);
  const since = Date.now();
  await waitUntil(() => Date.now() - since > 1500, 10_000, 100);
  assert.equal(run.logs().filter((r) => r.event === 'child.stop').length, 0);
  assert.equal(run.logs().filter((r) => r.event === 'probe.misconfigured').length, 1);
});
