// Fault matrix: the heartbeat file deleted, unreadable, in the future — end to end, with the real
// CLI and a bot that touches its file (test/fixtures/bots/heartbeat-faults.mjs). A bot frozen with
// SIGSTOP is test/e2e/heartbeat-probe.test.ts; the probe's own cases are
// test/probes/heartbeat-file.test.ts.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture } from '../helpers/watchdog-process.js';
import { waitUntil } from '../helpers/wait.js';
import { events, node, noStackTrace, noZombie, startWatchdog, Trees } from './fault-helpers.js';

const MAX_AGE_MS = 1000;
const isRoot = process.getuid?.() === 0;

function heartbeatBot(t: TestContext, mode: string, startDelayMs = 0, before?: (file: string) => void) {
  const root = mkdtempSync(join(tmpdir(), 'bw-fault-hb-'));
  const dir = join(root, 'logs');
  mkdirSync(dir);
  const file = join(dir, 'bot.log');
  before?.(file);
  const run = startWatchdog(t, {
    command: [node, fixture('bots/heartbeat-faults.mjs'), file, mode, '100', String(startDelayMs)],
    startup: { grace: '300ms' },
    probes: { heartbeat: { file, maxAge: `${MAX_AGE_MS}ms`, interval: '100ms' } },
    restart: { limit: { count: 0, window: '1m' } },
  }, root);
  return { run, file, dir };
}

/** Waits a while (3 × maxAge) on the clock, to see that nothing happens. */
const quietFor = async (ms: number) => {
  const since = Date.now();
  await waitUntil(() => Date.now() - since > ms, ms + 10_000, 100);
};

test('heartbeat file deleted (and no longer written): heartbeat-stale restart, the old bot gone, the new one beats', async (t) => {
  const { run, file } = heartbeatBot(t, 'delete');
  const first = await run.waitForEvent('child.spawn');
  await run.waitForStdout(/heartbeat-faults: ready \d+\n/);
  const trees = new Trees(run);
  trees.note();
  process.kill(first.pid as number, 'SIGUSR1');
  const stop = await run.waitForEvent('child.stop', (r) => r.reason === 'heartbeat-stale');
  assert.equal(stop.pid, first.pid);
  assert.equal(stop.file, file);
  const failed = events(run, 'probe.failed').filter((r) => r.probe === 'heartbeat');
  assert.equal(failed.length, 1);
  assert.match(String(failed[0]?.reason), /missing|no such|not found|does not exist/i);
  const second = await run.waitForEvent('child.spawn', (r) => r.pid !== first.pid);
  await run.waitForStdout(new RegExp(`heartbeat-faults: ready ${second.pid}\\n`));
  await trees.noOldTree();
  await trees.oneBot();
  // The new bot beats: no second restart.
  await quietFor(3 * MAX_AGE_MS);
  assert.equal(events(run, 'child.stop').length, 1);
  await noZombie(run);
  noStackTrace(run);
});

test('a bot that starts slower than startup.grace, beside a heartbeat file left an hour ago: left alone, it has maxAge from its start', async (t) => {
  // startup.grace 300 ms, maxAge 1 s; the file is an hour old; the bot's first touch comes after 700 ms.
  const old = (file: string) => {
    writeFileSync(file, '');
    const hourAgo = new Date(Date.now() - 3600_000);
    utimesSync(file, hourAgo, hourAgo);
  };
  const { run } = heartbeatBot(t, 'none', 700, old);
  await run.waitForEvent('child.spawn');
  await run.waitForStdout(/heartbeat-faults: ready \d+\n/);
  await quietFor(3 * MAX_AGE_MS);
  assert.equal(events(run, 'child.stop').length, 0, 'no restart of the slow starter');
  assert.equal(events(run, 'probe.failed').length, 0);
  noStackTrace(run);
});

test('heartbeat mtime in the future (the clock stepped back, the bot then hangs): fresh only up to maxAge from when it was seen, then one restart', async (t) => {
  const { run } = heartbeatBot(t, 'future');
  const first = await run.waitForEvent('child.spawn');
  await run.waitForStdout(/heartbeat-faults: ready \d+\n/);
  const trees = new Trees(run);
  trees.note();
  process.kill(first.pid as number, 'SIGUSR1');
  await run.waitForStdout(/heartbeat-faults: future done/);
  const doneAt = Date.now();
  const stop = await run.waitForEvent('child.stop', (r) => r.reason === 'heartbeat-stale', 20_000);
  assert.equal(stop.pid, first.pid);
  // Not an hour (the mtime), but about maxAge after the future mtime was first seen.
  assert.ok(Date.parse(String(stop.time)) - doneAt < MAX_AGE_MS + 10_000, 'stale within maxAge, not after the hour');
  const second = await run.waitForEvent('child.spawn', (r) => r.pid !== first.pid);
  await run.waitForStdout(new RegExp(`heartbeat-faults: ready ${second.pid}\\n`));
  await trees.noOldTree();
  await trees.oneBot();
  await quietFor(3 * MAX_AGE_MS);
  assert.equal(events(run, 'child.stop').length, 1, 'the new bot beats: no second restart');
  await noZombie(run);
});

test(`heartbeat file made unreadable (chmod 000): its mtime is still seen${isRoot ? ' (as root)' : ''}, the beating bot is left alone`, async (t) => {
  // The probe only stats the file: a file's mode does not stop stat (only its folder's would), for
  // root or not, and the bot keeps touching it (utimes needs ownership, not read permission).
  const { run } = heartbeatBot(t, 'chmod-file');
  const first = await run.waitForEvent('child.spawn');
  await run.waitForStdout(/heartbeat-faults: ready \d+\n/);
  process.kill(first.pid as number, 'SIGUSR1');
  await run.waitForStdout(/heartbeat-faults: chmod-file done/);
  await quietFor(3 * MAX_AGE_MS);
  assert.equal(events(run, 'child.stop').length, 0);
  assert.equal(events(run, 'probe.failed').length, 0);
  assert.equal(events(run, 'probe.misconfigured').length, 0);
  const trees = new Trees(run);
  await trees.oneBot();
});

test(
  'heartbeat folder made unreadable (chmod 000): a misconfiguration, logged once, never a restart',
  { skip: isRoot ? 'running as root: root stats files in a mode-000 folder anyway, so nothing is unreadable (the chmod-file case asserts what root sees)' : false },
  async (t) => {
    const { run, file, dir } = heartbeatBot(t, 'chmod-dir');
    const first = await run.waitForEvent('child.spawn');
    await run.waitForStdout(/heartbeat-faults: ready \d+\n/);
    process.kill(first.pid as number, 'SIGUSR1');
    const misconfigured = await run.waitForEvent('probe.misconfigured', (r) => r.probe === 'heartbeat');
    assert.match(String(misconfigured.reason), new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}.*permission denied`));
    try {
      await quietFor(3 * MAX_AGE_MS);
      assert.equal(events(run, 'child.stop').length, 0);
      assert.equal(events(run, 'probe.misconfigured').length, 1);
    } finally {
      chmodSync(dir, 0o700); // so that the cleanup can remove it
    }
  },
);
