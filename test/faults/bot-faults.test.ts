// Fault matrix (README "Fault matrix"), the bot's faults not asserted elsewhere: a clean exit under
// each policy, a tree that ignores SIGTERM on a restart, an output flood. Each row checks the bot
// runs (or is stopped) as it should, no process of an old tree is left, no zombie, one bot, the
// exit code, and the log line that says what happened.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fixture } from '../helpers/watchdog-process.js';
import { events, node, noStackTrace, noZombie, rssKb, startWatchdog, Trees } from './fault-helpers.js';

const crash0 = [node, fixture('bots/crash.mjs'), '0'];

for (const policy of ['on-failure', 'never'] as const) {
  test(`bot exits 0 under policy "${policy}": not restarted, the watchdog exits 0, restart.skipped says why`, async (t) => {
    const run = startWatchdog(t, { command: crash0, restart: { policy } });
    const spawn = await run.waitForEvent('child.spawn');
    const trees = new Trees(run);
    trees.note();
    assert.deepEqual(await run.exited, { code: 0, signal: null });
    assert.equal(events(run, 'child.spawn').length, 1, 'never a second bot');
    const skipped = events(run, 'restart.skipped');
    assert.equal(skipped.length, 1);
    assert.equal(skipped[0]?.policy, policy);
    assert.equal(events(run, 'child.exit')[0]?.pid, spawn.pid);
    assert.equal(events(run, 'watchdog.exit').at(-1)?.code, 0);
    await trees.nothingLeft();
    noStackTrace(run);
  });
}

test('bot exits 0 under policy "always": restarted with backoff (reason exited), one bot at a time', async (t) => {
  // A bot that exits 0 after 300 ms: long enough to be seen alive, restarted each time.
  const command = [node, '-e', 'setTimeout(() => process.exit(0), 300)'];
  const run = startWatchdog(t, { command, restart: { policy: 'always', limit: { count: 0, window: '1m' } } });
  const trees = new Trees(run);
  await run.waitForEvent('child.spawn');
  trees.note();
  await run.waitForEvent('child.spawn', () => events(run, 'child.spawn').length >= 3, 30_000);
  trees.note();
  const scheduled = events(run, 'restart.scheduled');
  assert.ok(scheduled.length >= 2);
  assert.ok(scheduled.every((r) => r.reason === 'exited'), JSON.stringify(scheduled));
  assert.ok(events(run, 'child.exit').every((r) => r.code === 0));
  await noZombie(run);
  run.kill('SIGTERM');
  await run.exited;
  await trees.nothingLeft();
  assert.equal(events(run, 'restart.giveup').length, 0);
});

test('a tree that ignores SIGTERM, on a restart (SIGHUP): SIGKILL after stop.timeout, the old tree gone before the new bot, one bot', async (t) => {
  const run = startWatchdog(t, { command: [node, fixture('bots/ignore-signals-tree.mjs')], stop: { timeout: '500ms' } });
  const first = await run.waitForEvent('child.spawn');
  await run.waitForStdout(/ignore-signals-tree: ready \d+ \d+\n/);
  const trees = new Trees(run);
  trees.note();
  assert.equal(trees.live().length, 2, 'the bot and its child carry the marker');
  run.kill('SIGHUP');
  const second = await run.waitForEvent('child.spawn', (r) => r.pid !== first.pid);
  await run.waitForStdout(new RegExp(`ignore-signals-tree: ready ${second.pid} `));
  // The old tree was killed before the new bot was spawned: SIGTERM ignored, then SIGKILL.
  const kills = events(run, 'child.kill').filter((r) => Date.parse(String(r.time)) <= Date.parse(String(second.time)));
  assert.deepEqual([kills[0]?.signal, kills.at(-1)?.signal], ['SIGTERM', 'SIGKILL']);
  const exit = events(run, 'child.exit').find((r) => r.pid === first.pid);
  assert.equal(exit?.signal, 'SIGKILL');
  await trees.noOldTree();
  await trees.oneBot();
  await noZombie(run);
  run.kill('SIGTERM');
  assert.equal((await run.exited).code, 137, 'the bot ignored SIGTERM: SIGKILL after stop.timeout, 128+9');
  await trees.nothingLeft();
});

test('bot floods its output (50 MiB as fast as it can): byte-exact pass-through, the watchdog\'s RSS stays bounded', async (t) => {
  const MIB = 50;
  const direct = spawnSync(node, [fixture('bots/flood-bytes.mjs'), String(MIB)], { maxBuffer: 64 * 1024 * 1024 });
  assert.equal(direct.stdout.length, MIB * 1024 * 1024);
  const expected = createHash('sha256').update(direct.stdout).digest('hex');

  // A pattern is scanned on every line: the scanner must keep up without holding the flood.
  const run = startWatchdog(t, { command: [node, fixture('bots/flood-bytes.mjs'), String(MIB)], restart: { policy: 'never' }, probes: { output: { patterns: ['FATAL never printed'] } }, log: { format: 'json', level: 'info' } });
  // Our own copy of stdout as bytes (the helper's copy is text): hash as it streams.
  const hash = createHash('sha256');
  let bytes = 0;
  run.child.stdout!.removeAllListeners('data');
  run.child.stdout!.setEncoding('latin1' as BufferEncoding);
  run.child.stdout!.on('data', (chunk: string) => {
    const buffer = Buffer.from(chunk, 'latin1');
    bytes += buffer.length;
    hash.update(buffer);
  });
  const samples: number[] = [];
  const sampler = setInterval(() => {
    const kb = rssKb(run.pid);
    if (kb !== undefined) samples.push(kb);
  }, 25);
  await run.waitForEvent('child.spawn');
  const baseline = rssKb(run.pid) ?? 0;
  const { code } = await run.exited;
  clearInterval(sampler);
  assert.equal(code, 0);
  assert.equal(bytes, MIB * 1024 * 1024);
  assert.equal(hash.digest('hex'), expected, 'the output passed through byte for byte');
  const peak = Math.max(...samples);
  // Buffering the flood would add ~50 MB (more as strings); piping with backpressure adds little.
  assert.ok(peak - baseline < 40 * 1024, `RSS grew from ${baseline} kB to ${peak} kB`);
  assert.equal(events(run, 'probe.failed').length, 0);
  assert.equal(events(run, 'log.dropped').length, 0);
  noStackTrace(run);
});
