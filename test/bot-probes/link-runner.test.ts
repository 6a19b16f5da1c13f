import { botProbeRule } from '../../src/health/probe-rules.js';
import { linkRestartReason } from '../../src/probes/link/link-probe.js';
import { test } from 'node:test';
import type { Stats } from 'node:fs';
import assert from 'node:assert/strict';
import { linkRunner } from '../../src/bot-probes/link-runner.js';
import { heartbeatRunner } from '../../src/bot-probes/heartbeat-runner.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeHandle } from '../helpers/fake-handle.js';
import { FakeProc, tcpLine } from '../helpers/fake-proc.js';
import { memoryLogger } from '../helpers/log-sink.js';

const target = [{ host: '127.0.0.1', port: 8080, from: 'probes.link.target' }];

test('link runner: watches each run of the bot in /proc; link gone for grace → link-lost with the evidence', async (t) => {
  const clock = new FakeClock(1_700_000_000_000);
  const proc = new FakeProc();
  t.after(() => proc.cleanup());
  const log = memoryLogger();
  const handle = new FakeHandle(clock, log.logger, 500);
  const runner = linkRunner({
    targets: target, grace: 1000, interval: 300, logger: log.logger, clock: handle.clock, procRoot: proc.root,
    matcher: { local: () => new Set() },
  });
  handle.sink.setRule('link', botProbeRule('link-lost', true, linkRestartReason));
  await runner.start(handle);
  // The FakeHandle numbers its bots from 1000.
  proc.add({ pid: 1000, ppid: 1, sockets: [77] }).net(1000, [tcpLine(0, '127.0.0.1:40000', '127.0.0.1:8080', 77)]);
  handle.spawn();
  await clock.advanceInSteps(3000, 50);
  assert.equal(handle.restarts.length, 0, 'linked: never restarted');
  assert.ok(handle.reports.some((r) => r.probe === 'link' && r.verdict === 'healthy' && /connected to 127\.0\.0\.1:8080 \(pid 1000\)/.test(r.reason ?? '')));

  const lostAt = clock.now();
  proc.net(1000, [tcpLine(0, '127.0.0.1:40000', '127.0.0.1:8080', 77, 0x08)]); // CLOSE_WAIT: deaf
  await clock.advanceInSteps(1500, 10);
  assert.equal(handle.restarts.length, 1);
  const restart = handle.restarts[0]!;
  assert.equal(restart.reason, 'link-lost');
  assert.ok(restart.at - lostAt <= 1000 + 20, `${restart.at - lostAt} ms after the link went (grace 1000)`);
  assert.equal(restart.evidence?.['target'], '127.0.0.1:8080');
  assert.equal(restart.evidence?.['graceMs'], 1000);
  assert.equal(typeof restart.evidence?.['lastSeenAt'], 'string');
  assert.equal(log.events('probe.failed')[0]?.probe, 'link');
  runner.stop();
});

test('link runner, listened port with stall: a bot that stops reading → link-stalled; its listener gone → link-lost', async (t) => {
  const clock = new FakeClock(1_700_000_000_000);
  const proc = new FakeProc();
  t.after(() => proc.cleanup());
  const log = memoryLogger();
  const handle = new FakeHandle(clock, log.logger, 0);
  const runner = linkRunner({
    targets: [], listen: { host: undefined, port: 2280 }, stall: 1500, grace: 1000, interval: 300, logger: log.logger, clock: handle.clock, procRoot: proc.root,
  });
  handle.sink.setRule('link', botProbeRule('link-lost', true, linkRestartReason));
  await runner.start(handle);
  const listener = tcpLine(0, '0.0.0.0:2280', '0.0.0.0:0', 70, 0x0a);
  const link = (rx: number) => tcpLine(1, '127.0.0.1:2280', '127.0.0.1:45000', 71, 1, rx);
  proc.add({ pid: 1000, ppid: 1, sockets: [70, 71] }).net(1000, [listener, link(0)]);
  handle.spawn();
  // Reading: the queue goes up and down.
  for (let i = 0; i < 10; i++) {
    proc.net(1000, [listener, link(i % 2 === 1 ? 0 : 500)]);
    await clock.advanceInSteps(300, 10);
  }
  assert.equal(handle.restarts.length, 0, 'a bot that reads is never stalled');
  const stoppedAt = clock.now();
  proc.net(1000, [listener, link(900)]);
  await clock.advanceInSteps(2200, 10);
  assert.equal(handle.restarts.length, 1);
  const stalled = handle.restarts[0]!;
  assert.equal(stalled.reason, 'link-stalled');
  assert.ok(stalled.at - stoppedAt <= 1500 + 20, `${stalled.at - stoppedAt} ms after the bot stopped reading (stall 1500, the last empty sample before it)`);
  assert.equal(stalled.evidence?.['rxQueue'], 900);
  const sizes = stalled.evidence?.['rxQueueSamples'] as number[];
  assert.ok(sizes.length >= 2 && sizes.length <= 10 && sizes.every((rx) => rx === 900), JSON.stringify(sizes));
  assert.equal(stalled.evidence?.['connection'], '127.0.0.1:2280 ← 127.0.0.1:45000');

  // The next run: the server task dies, the process lives on.
  proc.add({ pid: 1001, ppid: 1, sockets: [80, 81] }).net(1001, [tcpLine(0, '0.0.0.0:2280', '0.0.0.0:0', 80, 0x0a), tcpLine(1, '127.0.0.1:2280', '127.0.0.1:45002', 81)]);
  handle.spawn();
  await clock.advanceInSteps(900, 10);
  const diedAt = clock.now();
  proc.net(1001, []);
  await clock.advanceInSteps(1500, 10);
  assert.equal(handle.restarts.length, 2);
  const lost = handle.restarts[1]!;
  assert.equal(lost.reason, 'link-lost');
  assert.ok(lost.at - diedAt <= 1000 + 20, `${lost.at - diedAt} ms after the listener went (grace 1000)`);
  assert.match(String(lost.evidence?.['detail']), /^nothing of the bot listens on :2280 for 1\.\ds/);
  assert.equal(lost.evidence?.['listening'], false);
  runner.stop();
});

test('link runner: without /proc it is off, with one probe.disabled warning', async () => {
  const log = memoryLogger();
  const handle = new FakeHandle(new FakeClock(), log.logger);
  const runner = linkRunner({ targets: target, grace: 1000, interval: 300, logger: log.logger, clock: handle.clock, procRoot: '/nonexistent-proc' });
  const spawnListeners = handle.events.listenerCount('spawn');
  handle.sink.setRule('link', botProbeRule('link-lost', true, linkRestartReason));
  await runner.start(handle);
  handle.spawn();
  const disabled = log.events('probe.disabled');
  assert.equal(disabled.length, 1);
  assert.equal(disabled[0]?.probe, 'link');
  assert.equal(disabled[0]?.level, 'warn');
  assert.equal(handle.events.listenerCount('spawn'), spawnListeners, 'the runner does not follow runs');
  runner.stop();
});

test('heartbeat runner: a file that stops changing restarts the bot exactly maxAge after its last change', async () => {
  const clock = new FakeClock(1_700_000_000_000);
  // The file system is simulated: real stat calls would finish at a random point of virtual time.
  let mtimeMs = clock.wallNow();
  const touch = () => (mtimeMs = clock.wallNow());
  const stat = async () => ({ isFile: () => true, isDirectory: () => false, mtimeMs }) as unknown as Stats;
  const file = '/srv/bot/bot.log';
  const handle = new FakeHandle(clock);
  const runner = heartbeatRunner({ file, maxAge: 1000, interval: 5000, clock: handle.clock, stat });
  handle.sink.setRule('heartbeat', botProbeRule('heartbeat-stale'));
  await runner.start(handle);
  touch();
  handle.spawn();
  for (let i = 0; i < 20; i++) {
    await clock.advanceInSteps(200, 20);
    touch();
  }
  assert.equal(handle.restarts.length, 0);
  const lastTouch = clock.now();
  await clock.advanceInSteps(1500, 10);
  assert.equal(handle.restarts.length, 1, 'not at the next 5 s tick: exactly when the file turns stale');
  assert.ok(Math.abs(handle.restarts[0]!.at - (lastTouch + 1000)) <= 20, `${handle.restarts[0]!.at - lastTouch}`);
  assert.equal(handle.restarts[0]!.reason, 'heartbeat-stale');
  runner.stop();
});
