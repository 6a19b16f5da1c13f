// Never two bots on one QQ account: a second watchdog on the same state file refuses to start,
// and a watchdog started after its predecessor was SIGKILLed stops the orphaned bot first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSameProcess, procAvailable, processStartTime } from '../../src/process/proc-stat.js';
import { FakeMirai } from '../helpers/fake-mirai.js';
import { socketOwner } from '../helpers/socket-owner.js';
import { killFromStateFile } from '../helpers/state-cleanup.js';
import { fixture, runWatchdog, type WatchdogRun } from '../helpers/watchdog-process.js';

const skip = !procAvailable() && 'needs Linux /proc';
const KEY = 'never-two-bots-key';
const QQ = 123456789;

function project(config: Record<string, unknown>) {
  const dir = mkdtempSync(join(tmpdir(), 'bw-two-'));
  const file = join(dir, 'watchdog.config.json');
  writeFileSync(file, JSON.stringify({ log: { format: 'json' }, stop: { timeout: '5s' }, ...config }));
  return { file, stateFile: join(dir, '.bot-watchdog', 'state.json') };
}

async function stopAll(runs: (WatchdogRun | undefined)[], stateFile: string): Promise<void> {
  for (const run of runs) run?.kill('SIGTERM');
  await Promise.all(runs.map((run) => run?.exited));
  await killFromStateFile(stateFile);
}

test('a second watchdog with the same state file refuses: exit 2, a clear message, no second bot', { skip }, async () => {
  const { file, stateFile } = project({ command: [process.execPath, fixture('bots/healthy.mjs')] });
  const first = runWatchdog(['run', '--config', file]);
  try {
    await first.waitForEvent('child.spawn');
    const second = runWatchdog(['run', '--config', file]);
    assert.equal((await second.exited).code, 2);
    const refusal = second.logs().find((r) => r.event === 'watchdog.duplicate');
    assert.equal(refusal?.pid, first.pid);
    assert.match(String(refusal?.msg), new RegExp(`another bot-watchdog \\(pid ${first.pid}.*\\) is running with the state file ${stateFile.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
    assert.equal(second.logs().filter((r) => r.event === 'child.spawn').length, 0);
  } finally {
    await stopAll([first], stateFile);
  }
  // Once the first is gone, the lock is free again.
  const third = runWatchdog(['run', '--config', file]);
  try {
    await third.waitForEvent('child.spawn');
  } finally {
    await stopAll([third], stateFile);
  }
});

test('SIGKILL the watchdog, start it again: orphan.found, the old bot is stopped, exactly one bot (the new one) is connected', { skip }, async () => {
  const fake = await FakeMirai.start({ verifyKey: KEY, bots: [QQ] });
  const { file, stateFile } = project({
    command: [process.execPath, fixture('bots/mirai-js-bot.mjs')],
    env: { MIRAI_URL: fake.url, MIRAI_VERIFY_KEY: KEY, MIRAI_QQ: String(QQ) },
    // The watchdog watches Mirai too: its own link goes to /event, the bot's to /all.
    backend: { kind: 'mirai', url: fake.url, verifyKey: KEY, qq: QQ },
  });
  const isBotLink = (c: { path: string }) => c.path === '/all';
  let first: WatchdogRun | undefined;
  let second: WatchdogRun | undefined;
  try {
    const oldConnected = fake.waitForConnection(isBotLink, 20_000);
    first = runWatchdog(['run', '--config', file]);
    const oldSpawn = await first.waitForEvent('child.spawn');
    const oldBot = oldSpawn.pid as number;
    const oldStart = processStartTime(oldBot)!;
    const oldConnection = await oldConnected;
    assert.equal(socketOwner(oldConnection.remotePort, fake.port, [oldBot]), oldBot);

    // The watchdog dies without a chance to clean up; its bot lives on, still linked.
    first.kill('SIGKILL');
    await first.exited;
    assert.ok(isSameProcess(oldBot, oldStart), 'the orphaned bot is still running');
    assert.deepEqual(fake.connections().filter(isBotLink).map((c) => c.id), [oldConnection.id]);

    const oldGone = fake.waitForDisconnect((c) => c.id === oldConnection.id, 20_000);
    const newConnected = fake.waitForConnection((c) => isBotLink(c) && c.id !== oldConnection.id, 20_000);
    second = runWatchdog(['run', '--config', file]);
    const found = await second.waitForEvent('orphan.found');
    assert.equal(found.pid, oldBot);
    assert.equal(found.rootAlive, true);
    const newSpawn = await second.waitForEvent('child.spawn');
    const newBot = newSpawn.pid as number;
    await oldGone;
    const newConnection = await newConnected;

    assert.equal(isSameProcess(oldBot, oldStart), false, 'the orphaned bot was stopped');
    const events = second.logs().map((r) => r.event ?? '');
    const firstBackendEvent = events.findIndex((e) => e.startsWith('backend.'));
    assert.ok(events.indexOf('orphan.stopped') < events.indexOf('child.spawn'), 'the orphan was stopped before the new bot started');
    assert.ok(firstBackendEvent === -1 || events.indexOf('orphan.stopped') < firstBackendEvent, 'and before the backend was waited for');

    // Every live link belongs to the new bot or to the new watchdog's own backend probe.
    const watchdogPid = second.pid;
    const owners = fake.connections().map((c) => socketOwner(c.remotePort, fake.port, [newBot, oldBot, watchdogPid]));
    assert.deepEqual(owners.filter((pid) => pid !== watchdogPid), [newBot], 'exactly one bot is connected, the new one');
    assert.equal(socketOwner(newConnection.remotePort, fake.port, [newBot]), newBot);
  } finally {
    await stopAll([first, second], stateFile);
    await fake.stop();
  }
});

test('a state file that cannot be written: exit 2 with a clear message, nothing spawned', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-two-'));
  writeFileSync(join(dir, 'blocker'), '');
  const { file } = project({ command: [process.execPath, fixture('bots/healthy.mjs')], state: { file: join(dir, 'blocker', 'state.json') } });
  const run = runWatchdog(['run', '--config', file]);
  assert.equal((await run.exited).code, 2);
  const error = run.logs().find((r) => r.event === 'state.unusable');
  assert.match(String(error?.msg), /cannot use the state folder .*\/blocker: a part of the path is not a folder\. .*set state\.file to a writable place$/);
  assert.equal(run.logs().filter((r) => r.event === 'child.spawn').length, 0);
});
