import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeartbeatFileProbe } from '../../src/probes/heartbeat-file.js';
import { systemClock } from '../../src/clock/clock.js';

function tmp(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'bw-heartbeat-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Sets a file's mtime to `wallMs` (wall-clock milliseconds). */
const setMtime = (file: string, wallMs: number) => utimesSync(file, new Date(wallMs), new Date(wallMs));

/** A probe on virtual clocks: `mono` and `wall` are advanced by the test. */
function probeOn(file: string, maxAge: number) {
  const clock = { mono: 1000, wall: 1_700_000_000_000 };
  const probe = new HeartbeatFileProbe({ file, maxAge, now: () => clock.mono, wallNow: () => clock.wall });
  /** Both clocks move on together (no clock step). */
  const advance = (ms: number) => {
    clock.mono += ms;
    clock.wall += ms;
  };
  return { probe, clock, advance };
}

test('fresh, then stale once older than maxAge, with the age and mtime as evidence', async (t) => {
  const file = join(tmp(t), 'bot.log');
  writeFileSync(file, 'x');
  const { probe, clock, advance } = probeOn(file, 5000);
  setMtime(file, clock.wall - 1000);
  let r = await probe.check();
  assert.equal(r.verdict, 'healthy');
  assert.equal(r.details?.['ageMs'], 1000);
  assert.equal(HeartbeatFileProbe.dueInMs(r.details), 4000);
  advance(4000);
  r = await probe.check();
  assert.equal(r.verdict, 'unhealthy');
  assert.match(r.reason, /bot\.log was last changed 5\.0s ago, more than maxAge 5\.0s/);
  assert.deepEqual(r.details, { file, ageMs: 5000, maxAgeMs: 5000, mtime: new Date(clock.wall - 5000).toISOString() });
  setMtime(file, clock.wall);
  assert.equal((await probe.check()).verdict, 'healthy', 'the bot wrote again');
});

test('a missing file is stale; a folder, a non-regular file or an unusable path is misconfigured', async (t) => {
  const dir = tmp(t);
  const missing = await probeOn(join(dir, 'nope.log'), 1000).probe.check();
  assert.equal(missing.verdict, 'unhealthy');
  assert.match(missing.reason, /nope\.log does not exist/);
  assert.equal(missing.details?.['exists'], false);

  mkdirSync(join(dir, 'logs'));
  const folder = await probeOn(join(dir, 'logs'), 1000).probe.check();
  assert.equal(folder.verdict, 'misconfigured');
  assert.match(folder.reason, /is a folder: point probes\.heartbeat\.file at a file the bot writes/);

  writeFileSync(join(dir, 'file'), '');
  const notDir = await probeOn(join(dir, 'file', 'bot.log'), 1000).probe.check();
  assert.equal(notDir.verdict, 'misconfigured');
  assert.match(notDir.reason, /a part of the path is not a folder \(ENOTDIR\)/);

  const nullDevice = await probeOn('/dev/null', 1000).probe.check();
  assert.equal(nullDevice.verdict, 'misconfigured');
  assert.match(nullDevice.reason, /not a regular file/);

  // Permission problems (we run as root in CI, so the error is injected).
  const denied = new HeartbeatFileProbe({
    file: '/secret/bot.log',
    maxAge: 1000,
    now: systemClock.now,
    stat: () => Promise.reject(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' })),
  });
  const r = await denied.check();
  assert.equal(r.verdict, 'misconfigured');
  assert.match(r.reason, /cannot stat \/secret\/bot\.log: permission denied \(EACCES\)/);
});

test('an mtime in the future (the clock stepped back) counts as fresh only up to maxAge from when it was first seen', async (t) => {
  const file = join(tmp(t), 'bot.log');
  writeFileSync(file, 'x');
  const { probe, clock, advance } = probeOn(file, 5000);
  setMtime(file, clock.wall + 3_600_000); // written before the clock went back an hour
  let r = await probe.check();
  assert.equal(r.verdict, 'healthy');
  assert.equal(r.details?.['ageMs'], 0);
  assert.match(String(r.details?.['clock']), /in the future: counted from when it was first seen/);
  advance(4999);
  assert.equal((await probe.check()).verdict, 'healthy');
  advance(1);
  r = await probe.check();
  assert.equal(r.verdict, 'unhealthy', 'the hung bot is not hidden by its future mtime');
  assert.equal(r.details?.['ageMs'], 5000);

  // A bot that keeps writing with a clock ahead (a file server's) makes new future mtimes: fresh each time.
  setMtime(file, clock.wall + 3_600_000 + 1);
  assert.equal((await probe.check()).verdict, 'healthy');
  // Timestamp granularity is not a clock step.
  setMtime(file, clock.wall + 500);
  r = await probe.check();
  assert.equal(r.details?.['clock'], undefined);
  assert.equal(r.details?.['ageMs'], 0);
});

test('a wall clock that jumps forward does not make a file that just changed look stale', async (t) => {
  const file = join(tmp(t), 'bot.log');
  writeFileSync(file, 'x');
  const { probe, clock, advance } = probeOn(file, 5000);
  setMtime(file, clock.wall);
  await probe.check();
  advance(1000);
  // The bot writes, then the wall clock jumps 2 hours ahead (NTP's first sync, a VM resumed).
  setMtime(file, clock.wall);
  clock.wall += 7_200_000;
  let r = await probe.check();
  assert.equal(r.verdict, 'healthy', r.reason);
  assert.ok((r.details?.['ageMs'] as number) <= 1000);
  assert.match(String(r.details?.['clock']), /jumped forward/);
  // And a bot that then stops writing is still caught, maxAge after the last version change was possible.
  advance(4000);
  r = await probe.check();
  assert.equal(r.verdict, 'unhealthy');
  assert.equal(r.details?.['ageMs'], 5000);

  // Without a clock step, the wall-clock age is used as it is.
  const normal = probeOn(file, 5000);
  setMtime(file, normal.clock.wall - 200);
  await normal.probe.check();
  normal.advance(1000);
  setMtime(file, normal.clock.wall - 100);
  r = await normal.probe.check();
  assert.equal(r.details?.['ageMs'], 100);
  assert.equal(r.details?.['clock'], undefined);
});

test('the one-shot check (bot-watchdog check) on real clocks', async (t) => {
  const file = join(tmp(t), 'bot.log');
  writeFileSync(file, 'x');
  setMtime(file, Date.now() - 120_000);
  const stale = await new HeartbeatFileProbe({ file, maxAge: 90_000, now: systemClock.now }).check();
  assert.equal(stale.verdict, 'unhealthy');
  assert.ok((stale.details?.['ageMs'] as number) >= 119_000);
  setMtime(file, Date.now());
  const fresh = await new HeartbeatFileProbe({ file, maxAge: 90_000, now: systemClock.now }).check();
  assert.equal(fresh.verdict, 'healthy');
  assert.equal(fresh.probe, 'heartbeat');
  assert.ok(fresh.latencyMs >= 0);
});

test('stat is injectable and a thrown oddity is a misconfiguration, never an exception', async () => {
  const probe = new HeartbeatFileProbe({
    file: '/x',
    maxAge: 1,
    now: systemClock.now,
    stat: () => Promise.reject(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' })),
  });
  const r = await probe.check();
  assert.equal(r.verdict, 'misconfigured');
  assert.match(r.reason, /EIO/);
  const fake = new HeartbeatFileProbe({ file: '/x', maxAge: 1, now: systemClock.now, stat: async () => ({ isDirectory: () => false, isFile: () => true, mtimeMs: 0 }) as Stats });
  assert.equal((await fake.check()).verdict, 'unhealthy');
});

test('a pattern in the file name (QChatGPT writes logs/qchatgpt-<start time>.log): the newest match counts', async (t) => {
  const dir = tmp(t);
  const logs = join(dir, 'logs');
  const { probe, clock, advance } = probeOn(join(logs, 'qchatgpt-*.log'), 5000);
  let r = await probe.check();
  assert.equal(r.verdict, 'unhealthy', 'no folder yet: nothing matches');
  assert.match(r.reason, /no file matches .*qchatgpt-\*\.log/);
  mkdirSync(logs);
  writeFileSync(join(logs, 'qchatgpt-2024-01-01-10-00-00.log'), 'old run');
  writeFileSync(join(logs, 'qchatgpt-2024-01-02-10-00-00.log'), 'this run');
  writeFileSync(join(logs, 'other.log'), 'not ours');
  mkdirSync(join(logs, 'qchatgpt-folder.log'));
  setMtime(join(logs, 'qchatgpt-2024-01-01-10-00-00.log'), clock.wall - 60_000);
  setMtime(join(logs, 'qchatgpt-2024-01-02-10-00-00.log'), clock.wall - 1000);
  setMtime(join(logs, 'other.log'), clock.wall);
  r = await probe.check();
  assert.equal(r.verdict, 'healthy');
  assert.equal(r.details?.['file'], join(logs, 'qchatgpt-2024-01-02-10-00-00.log'));
  assert.equal(r.details?.['pattern'], join(logs, 'qchatgpt-*.log'));
  assert.equal(r.details?.['ageMs'], 1000);
  advance(4000);
  assert.equal((await probe.check()).verdict, 'unhealthy');
  // The bot restarts and writes a new file: fresh again.
  writeFileSync(join(logs, 'qchatgpt-2024-01-02-10-05-00.log'), 'next run');
  setMtime(join(logs, 'qchatgpt-2024-01-02-10-05-00.log'), clock.wall);
  r = await probe.check();
  assert.equal(r.verdict, 'healthy');
  assert.match(String(r.details?.['file']), /10-05-00\.log$/);
  // Regex characters in the pattern are literal.
  const literal = probeOn(join(logs, 'qchatgpt-2024-01-0?-10-0[0].log'), 5000);
  assert.equal((await literal.probe.check()).verdict, 'unhealthy');
});

test('config: the heartbeat file (pattern or not) is resolved against the config folder; its interval defaults from maxAge', async () => {
  const { resolveConfig } = await import('../../src/config/load-config.js');
  const config = resolveConfig(
    { command: ['bot'], probes: { heartbeat: { file: 'logs/qchatgpt-*.log', maxAge: '30m' } } },
    { configFile: '/srv/qchatgpt/watchdog.config.json' },
  );
  assert.deepEqual(config.probes.heartbeat, { file: '/srv/qchatgpt/logs/qchatgpt-*.log', maxAge: 1_800_000, interval: 5000 });
  const probes = await (await import('../../src/probes/build-probes.js')).buildProbes(config, systemClock);
  assert.deepEqual(probes.map((p) => p.name), ['heartbeat'], 'bot-watchdog check runs the heartbeat probe');
});

test('a new run of the bot has maxAge from its start: a file the last run left behind does not count against it', async (t) => {
  const file = join(tmp(t), 'bot.log');
  writeFileSync(file, 'x');
  const { probe, clock, advance } = probeOn(file, 3000);
  setMtime(file, clock.wall - 10_000); // written by the run before, 10 s ago
  probe.runStartedAt = clock.mono - 1000; // this run began 1 s ago and has not written yet
  let r = await probe.check();
  assert.equal(r.verdict, 'healthy', r.reason);
  assert.equal(r.details?.['ageMs'], 10_000, 'the file age is still reported');
  assert.equal(r.details?.['silentMs'], 1000);
  assert.match(r.reason, /before this run of the bot began 1\.0s ago/);
  assert.equal(HeartbeatFileProbe.dueInMs(r.details), 2000, 'due maxAge after the start');
  advance(2000);
  r = await probe.check();
  assert.equal(r.verdict, 'unhealthy', 'silent for maxAge since its start: stale');
  assert.match(r.reason, /more than maxAge 3\.0s/);
  // The run writes: its own change counts from then on.
  probe.runStartedAt = clock.mono - 500;
  setMtime(file, clock.wall - 100);
  r = await probe.check();
  assert.equal(r.verdict, 'healthy');
  assert.equal(r.details?.['silentMs'], undefined, 'the file is newer than the run: its age is the silence');
  assert.equal(r.details?.['ageMs'], 100);
});

test('a new run has maxAge from its start to create a missing file; then a missing file is stale', async (t) => {
  const file = join(tmp(t), 'bot.log');
  const { probe, clock, advance } = probeOn(file, 3000);
  probe.runStartedAt = clock.mono - 500;
  let r = await probe.check();
  assert.equal(r.verdict, 'healthy', r.reason);
  assert.match(r.reason, /bot\.log does not exist yet: this run of the bot began 0\.5s ago/);
  assert.equal(HeartbeatFileProbe.dueInMs(r.details), 2500);
  advance(2500);
  r = await probe.check();
  assert.equal(r.verdict, 'unhealthy');
  assert.match(r.reason, /bot\.log does not exist$/);
});
