// Output patterns and silence (issue 4), end to end: the real CLI, real bots, the fake Mirai.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture } from '../helpers/watchdog-process.js';
import { BOTS, botConfig, msSince, startFake, startWatchdog } from './bot-probe-helpers.js';
import { requireBotRuntime } from '../helpers/require-tool.js';

for (const bot of BOTS) {
  test(`${bot}: its "WebSocket 通道意外关闭" line restarts it within 1 s (pattern); a fresh link afterwards`, { skip: requireBotRuntime(bot) }, async (t) => {
    const fake = await startFake(t);
    const linked = fake.waitForConnection(undefined, 30_000);
    const run = startWatchdog(t, {
      ...botConfig(bot, fake),
      startup: { grace: '1m' }, // patterns count at once, whatever startup.grace says
      probes: { output: { patterns: ['WebSocket 通道意外关闭', '无法连接到 mirai'] } },
    });
    const first = await linked;
    const spawn = await run.waitForEvent('child.spawn');
    const relinked = fake.waitForConnection((c) => c.id !== first.id, 30_000);
    const droppedAt = Date.now();
    fake.dropConnection((c) => c.id === first.id);
    const stop = await run.waitForEvent('child.stop', (r) => r.reason === 'output-match');
    const elapsed = msSince(droppedAt, stop);
    assert.ok(elapsed >= 0 && elapsed <= 1000, `restarted ${elapsed} ms after the drop`);
    assert.equal(stop.pid, spawn.pid);
    assert.equal(stop.pattern, 'WebSocket 通道意外关闭');
    assert.match(String(stop.line), /^WebSocket 通道意外关闭。code: 1006, reason: /);
    assert.equal(stop.stream, 'stdout');
    assert.ok(run.logs().some((r) => r.event === 'probe.failed' && r.probe === 'output-pattern' && r.line === stop.line));
    await relinked;
    await run.waitForEvent('child.spawn', (r) => r.pid !== spawn.pid);
  });
}

test('a chatty bot that stops printing is restarted after `silence`', async (t) => {
  const run = startWatchdog(t, {
    command: [process.execPath, fixture('bots/chatty.mjs'), '50', '10'],
    startup: { grace: '0ms' },
    probes: { output: { silence: '1s' } },
  });
  const spawn = await run.waitForEvent('child.spawn');
  await run.waitForStdout(/chatty: silent from now on/);
  const silentAt = Date.now();
  const stop = await run.waitForEvent('child.stop', (r) => r.reason === 'output-silent');
  assert.equal(stop.pid, spawn.pid);
  assert.ok((stop.silentForMs as number) >= 1000);
  assert.equal(stop.silenceMs, 1000);
  assert.equal(typeof stop.lastOutputAt, 'string');
  const elapsed = msSince(silentAt, stop);
  assert.ok(elapsed <= 3000, `restarted ${elapsed} ms after the last line was seen`);
  await run.waitForEvent('child.spawn', (r) => r.pid !== spawn.pid);
});

test('a bot that keeps printing is never restarted for silence, and its output passes through intact', async (t) => {
  const run = startWatchdog(t, {
    command: [process.execPath, fixture('bots/chatty.mjs'), '100', '0'],
    startup: { grace: '0ms' },
    probes: { output: { silence: '1s', patterns: ['never printed'] } },
  });
  await run.waitForStdout(/chatty: tick 1\n/);
  // A bounded negative window: four silence periods of steady output.
  await run.waitForStdout(/chatty: tick 40\n/, 30_000);
  assert.equal(run.logs().filter((r) => r.event === 'child.stop').length, 0);
  const ticks = run.stdout().split('\n').filter((l) => l.startsWith('chatty: tick ')).map((l) => Number(l.slice(13)));
  assert.deepEqual(ticks.slice(0, 40), Array.from({ length: 40 }, (_, i) => i + 1), 'every line, in order');
});

test('scanning changes nothing that passes through: bytes, ANSI colours, a partial last line', async (t) => {
  const run = startWatchdog(t, {
    command: [process.execPath, fixture('bots/echo-output.mjs')],
    probes: { output: { silence: '1h', patterns: ['green', 'partial'] } },
    restart: { policy: 'never' },
  });
  await run.waitForStdout(/partial-no-newline$/);
  assert.equal(run.stdout(), '\x1b[32mgreen 绿色\x1b[0m\nline two\npartial-no-newline');
  assert.match(run.stderr(), /^to stderr$/m);
  // The pattern matched too (after the output was already through): the bot is stopped, nothing else changes.
  const stop = await run.waitForEvent('child.stop', (r) => r.reason === 'output-match');
  assert.equal(stop.line, 'green 绿色', 'matched on the text without its colour codes');
});
