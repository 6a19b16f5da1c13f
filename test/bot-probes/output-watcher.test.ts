import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OutputWatcher } from '../../src/bot-probes/output-watcher.js';
import { botProbeRule } from '../../src/health/probe-rules.js';
import type { FakeHandle as Handle } from '../helpers/fake-handle.js';
import { EXIT } from '../../src/exit-codes.js';
import { FakeClock, flush } from '../helpers/fake-clock.js';
import { FakeHandle } from '../helpers/fake-handle.js';
import { memoryLogger } from '../helpers/log-sink.js';
import { baseOptions, harness } from '../supervisor/harness.js';

/** The rules the composition root sets for the output probes (src/bot-probes/build-bot-probes.ts). */
function outputRules(handle: Handle): void {
  handle.sink.setRule('output-pattern', botProbeRule('output-match', false));
  handle.sink.setRule('output-silence', botProbeRule('output-silent', false));
}

const PATTERNS = ['WebSocket 通道意外关闭', '无法连接到 mirai'];

test('a line matching a pattern restarts at once, even during startup.grace, with the line as evidence; once per run', async () => {
  const clock = new FakeClock(0);
  const log = memoryLogger();
  const handle = new FakeHandle(clock, log.logger, 60_000);
  const watcher = new OutputWatcher({ patterns: PATTERNS, silence: 0, clock: handle.clock });
  outputRules(handle);
  watcher.start(handle);
  const child = handle.spawn();
  child.stdout.write('bot: connected\n\x1b[31m[ERROR]\x1b[0m WebSocket 通道意外');
  await flush();
  assert.equal(handle.restarts.length, 0);
  child.stdout.write('关闭。code: 1006, reason: \n');
  child.stderr.write('NetworkError: 无法连接到 mirai。\n');
  await flush();
  assert.equal(handle.restarts.length, 1);
  assert.deepEqual(handle.restarts[0]?.reason, 'output-match');
  assert.deepEqual(handle.restarts[0]?.evidence, {
    probe: 'output-pattern',
    detail: 'the bot printed a line matching /WebSocket 通道意外关闭/',
    pattern: 'WebSocket 通道意外关闭',
    line: '[ERROR] WebSocket 通道意外关闭。code: 1006, reason: ',
    stream: 'stdout',
  });
  const failed = log.events('probe.failed');
  assert.equal(failed.length, 1);
  assert.equal(failed[0]?.line, '[ERROR] WebSocket 通道意外关闭。code: 1006, reason: ');
  assert.equal(handle.reports.at(-1)?.verdict, 'unhealthy');

  // The next run is watched afresh; the old run's streams are no longer listened to.
  handle.exit();
  const next = handle.spawn();
  child.stdout.write('WebSocket 通道意外关闭\n');
  await flush();
  assert.equal(handle.restarts.length, 1);
  next.stderr.write('x'.repeat(1000) + ' 无法连接到 mirai\n');
  await flush();
  assert.equal(handle.restarts.length, 2);
  assert.equal(handle.restarts[1]?.evidence?.['stream'], 'stderr');
  assert.equal((handle.restarts[1]?.evidence?.['line'] as string).length, 301, 'long lines are cut for the logs');
  watcher.stop();
});

test('a prompt-like unfinished line matches after a short idle', async () => {
  const clock = new FakeClock(0);
  const handle = new FakeHandle(clock);
  const watcher = new OutputWatcher({ patterns: ['请输入验证码'], silence: 0, clock: handle.clock, idleMs: 100 });
  outputRules(handle);
  watcher.start(handle);
  handle.spawn().stdout.write('请输入验证码: ');
  await clock.advanceInSteps(90);
  assert.equal(handle.restarts.length, 0);
  await clock.advanceInSteps(20);
  assert.equal(handle.restarts.length, 1);
  assert.equal(handle.restarts[0]?.evidence?.['partial'], true);
  watcher.stop();
});

test('silence: no output for `silence` after startup.grace restarts with the evidence; a chatty bot never is', async () => {
  const clock = new FakeClock(0);
  const log = memoryLogger();
  const handle = new FakeHandle(clock, log.logger, 3000);
  const watcher = new OutputWatcher({ patterns: [], silence: 1000, clock: handle.clock });
  outputRules(handle);
  watcher.start(handle);
  // Silent from the start: not before startup.grace ends.
  handle.spawn();
  await clock.advanceInSteps(2990);
  assert.equal(handle.restarts.length, 0);
  await clock.advanceInSteps(20);
  assert.equal(handle.restarts.length, 1);
  assert.equal(handle.restarts[0]?.reason, 'output-silent');
  assert.deepEqual(handle.restarts[0]?.evidence, {
    probe: 'output-silence', detail: 'no output from the bot for 3.0s (silence 1.0s)', silentForMs: 3000, silenceMs: 1000, lastOutputAt: null,
  });
  handle.exit();

  // Chatty, on stdout and stderr in turn, for 20 s: never restarted. Then it stops printing.
  const child = handle.spawn();
  for (let i = 0; i < 100; i++) {
    (i % 2 ? child.stderr : child.stdout).write(`tick ${i}\n`);
    await clock.advanceInSteps(200, 50);
  }
  assert.equal(handle.restarts.length, 1);
  const lastOutput = clock.now() - 200;
  await clock.advanceInSteps(790);
  assert.equal(handle.restarts.length, 1);
  await clock.advanceInSteps(20);
  assert.equal(handle.restarts.length, 2);
  assert.ok(Math.abs((handle.restarts[1]?.at as number) - (lastOutput + 1000)) <= 10);
  assert.equal(handle.restarts[1]?.evidence?.['lastOutputAt'], new Date(lastOutput).toISOString());
  assert.equal(log.events('probe.failed').length, 2);

  // Its run ends: no silence restart afterwards.
  handle.exit();
  await clock.advanceInSteps(5000, 100);
  assert.equal(handle.restarts.length, 2);
  watcher.stop();
});

test('off when there are no patterns and silence is 0', () => {
  const handle = new FakeHandle();
  const watcher = new OutputWatcher({ patterns: [], silence: 0, clock: handle.clock });
  assert.equal(watcher.active, false);
  const spawnListeners = handle.events.listenerCount('spawn');
  outputRules(handle);
  watcher.start(handle);
  assert.equal(handle.events.listenerCount('spawn'), spawnListeners, 'an inactive watcher does not follow runs');
});

test('through the supervisor: an output-match restart has the same backoff and restart.limit as an exit', async () => {
  const clock = new FakeClock();
  const watcher = new OutputWatcher({ patterns: PATTERNS, silence: 0, clock });
  const h = harness(baseOptions({ restart: { limit: { count: 2, window: 600_000 } } as never }), { plugins: [watcher], clock, rules: { 'output-pattern': botProbeRule('output-match', false) } });
  await h.flush();
  for (let run = 0; run < 3; run++) {
    h.last().stdout.write('WebSocket 通道意外关闭。code: 1006, reason: \n');
    await h.flush();
    const delay = h.log.events('restart.scheduled').at(-1)?.delayMs as number | undefined;
    if (run < 2) await h.clock.advance(delay as number);
  }
  const stops = h.log.events('child.stop');
  assert.equal(stops.length, 3);
  assert.deepEqual(
    stops.map((s) => [s.reason, s.probe, s.pattern, s.line]),
    new Array(3).fill(['output-match', 'output-pattern', 'WebSocket 通道意外关闭', 'WebSocket 通道意外关闭。code: 1006, reason: ']),
  );
  assert.deepEqual(h.log.events('restart.scheduled').map((r) => [r.reason, r.attempt, r.delayMs]), [
    ['output-match', 1, 1000],
    ['output-match', 2, 2000],
  ]);
  assert.equal(await h.done, EXIT.GAVE_UP);
  assert.equal(h.log.events('restart.giveup').length, 1);
});

test('issue 17.11: a 70,000-byte line of "a" ending in "!" does not match a$ (cut at 64 KiB); a short one does', async () => {
  const handle = new FakeHandle();
  const watcher = new OutputWatcher({ patterns: ['a$'], silence: 0, clock: handle.clock });
  outputRules(handle);
  watcher.start(handle);
  const child = handle.spawn();
  child.stdout.write(`${'a'.repeat(69_999)}!\n`);
  child.stdout.write('still fine!\n');
  await flush();
  assert.equal(handle.restarts.length, 0, 'a healthy bot is left alone');
  child.stdout.write('aaa\n');
  await flush();
  assert.equal(handle.restarts.length, 1);
  watcher.stop();
});
