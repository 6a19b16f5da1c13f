// Bots that LISTEN for NapCat's reverse WebSocket (issue 10), under the real watchdog: a
// NapCat-shaped client keeps connecting and sending. The aiocqhttp-shaped bot whose server task
// dies is restarted with link-lost ("nothing of the bot listens"); the bot whose event loop blocks
// with link-stalled; healthy readers under a flood are never restarted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { LinkSampler, type TreeConnection } from '../../src/probes/link/link-probe.js';
import { isSameProcess, processStartTime } from '../../src/process/proc-stat.js';
import { botCommand } from '../helpers/listening-bot.js';
import type { LogRecord } from '../helpers/log-sink.js';
import { ReconnectingNapcat } from '../helpers/napcat-client.js';
import { waitUntil } from '../helpers/wait.js';
import { msSince, startWatchdog } from './bot-probe-helpers.js';
import { PYTHON, requireBotRuntime, requireTool } from '../helpers/require-tool.js';
import { freePort } from '../helpers/free-port.js';

// Ends early once the bot is up (listening and linked); the bound for a new bot that starts slowly
// on a loaded machine (Python took over 2.5 s to listen at a load average of 7).
const STARTUP_GRACE_MS = 6000;


function botConfig(name: string, port: number, link: Record<string, unknown>): Record<string, unknown> {
  return {
    command: botCommand(name),
    env: { BOT_PORT: String(port), PYTHONUNBUFFERED: '1' },
    startup: { grace: `${STARTUP_GRACE_MS}ms` },
    probes: { link: { listen: `127.0.0.1:${port}`, interval: '200ms', ...link } },
  };
}

async function afterStartupGrace(spawned: LogRecord): Promise<void> {
  const ends = Date.parse(String(spawned.time)) + STARTUP_GRACE_MS;
  await waitUntil(() => Date.now() >= ends + 200, 20_000, 20);
}

test('aiocqhttp-like bot: its server task dies, the process lives on → link-lost within grace + 2 s ("nothing of the bot listens"); NapCat links to the new bot', { skip: requireTool(...PYTHON) }, async (t) => {
  const GRACE_MS = 1000;
  const port = await freePort();
  const napcat = ReconnectingNapcat.start(`ws://127.0.0.1:${port}/ws`, { reconnectMs: 200, sendEveryMs: 200 });
  t.after(() => napcat.stop());
  const run = startWatchdog(t, botConfig('aiocqhttp_like.py', port, { grace: `${GRACE_MS}ms` }));
  const spawned = await run.waitForEvent('child.spawn');
  const botPid = spawned.pid as number;
  const botStart = processStartTime(botPid) as number;
  const first = await napcat.until(() => napcat.current);
  await first.waitForAction((a) => a.action === 'send_msg');
  await afterStartupGrace(spawned);
  assert.equal(run.logs().filter((r) => r.event === 'child.stop').length, 0, 'no restart while linked and listening');

  const diedAt = Date.now();
  first.sendMessage('/die-server');
  const stop = await run.waitForEvent('child.stop', (r) => r.reason === 'link-lost');
  const elapsed = msSince(diedAt, stop);
  assert.ok(elapsed >= GRACE_MS - 500 && elapsed <= GRACE_MS + 2000, `restarted ${elapsed} ms after the server task died`);
  assert.equal(stop.pid, botPid);
  assert.equal(stop.probe, 'link');
  assert.equal(stop.listen, `127.0.0.1:${port}`);
  assert.equal(stop.listening, false);
  assert.match(String(stop.detail), new RegExp(`^nothing of the bot listens on 127\\.0\\.0\\.1:${port} for \\d\\.\\ds \\(last seen`));
  assert.match(run.stdout(), /RuntimeError\('server task died'\); the process lives on/);
  const failed = run.logs().find((r) => r.event === 'probe.failed' && r.probe === 'link');
  assert.ok(failed, 'probe.failed logged');
  const scheduled = await run.waitForEvent('restart.scheduled');
  assert.deepEqual([scheduled?.reason, scheduled?.attempt], ['link-lost', 1]);

  const second = await run.waitForEvent('child.spawn', (r) => r.pid !== botPid);
  const fresh = await napcat.until(() => napcat.links.length > 1 && napcat.current);
  fresh.sendMessage('are you back?');
  await fresh.waitForAction((a) => a.params['message'] === 'echo: are you back?');
  assert.notEqual(second.pid, botPid);
  assert.equal(isSameProcess(botPid, botStart), false, 'the deaf bot is gone');
  assert.equal(run.logs().filter((r) => r.event === 'child.stop').length, 1, 'one restart, no flapping');
});

test('blocking-loop bot: its event loop blocks while NapCat keeps sending → link-stalled within stall + 2 s, with the queue sizes', { skip: requireTool(...PYTHON) }, async (t) => {
  const STALL_MS = 3000;
  const port = await freePort();
  const napcat = ReconnectingNapcat.start(`ws://127.0.0.1:${port}/ws`, { reconnectMs: 200, sendEveryMs: 100 });
  t.after(() => napcat.stop());
  const run = startWatchdog(t, botConfig('blocking_loop_bot.py', port, { grace: '30s', stall: `${STALL_MS}ms` }));
  const spawned = await run.waitForEvent('child.spawn');
  const botPid = spawned.pid as number;
  const first = await napcat.until(() => napcat.current);
  await first.waitForAction((a) => a.action === 'send_msg');
  await afterStartupGrace(spawned);

  const blockedAt = Date.now();
  first.sendMessage('/block');
  const stop = await run.waitForEvent('child.stop', (r) => r.reason === 'link-stalled');
  const elapsed = msSince(blockedAt, stop);
  assert.ok(elapsed >= STALL_MS - 1000 && elapsed <= STALL_MS + 2000, `restarted ${elapsed} ms after the loop blocked`);
  assert.equal(stop.pid, botPid);
  assert.equal(stop.probe, 'link');
  assert.equal(stop.stallMs, STALL_MS);
  assert.ok((stop.stalledForMs as number) > STALL_MS);
  assert.match(String(stop.connection), new RegExp(`^127\\.0\\.0\\.1:${port} ← 127\\.0\\.0\\.1:\\d+$`));
  const sizes = stop.rxQueueSamples as number[];
  assert.ok(sizes.length >= 2 && sizes.every((rx, i) => rx > 0 && (i === 0 || rx >= (sizes[i - 1] as number))), `never shrinking: ${sizes.join(' → ')}`);
  assert.equal(stop.rxQueue, sizes.at(-1));
  assert.match(String(stop.detail), /^the bot has not read its link .* bytes wait unread \(receive queue \d+ → /);
  assert.match(run.stdout(), /blocking-loop-bot: blocking the event loop for 3600s/);

  await run.waitForEvent('child.spawn', (r) => r.pid !== botPid);
  const fresh = await napcat.until(() => napcat.links.length > 1 && napcat.current);
  fresh.sendMessage('awake?');
  await fresh.waitForAction((a) => a.params['message'] === 'echo: awake?');
  assert.equal(run.logs().filter((r) => r.event === 'child.stop').length, 1);
});

for (const name of ['reverse-ws-bot.mjs', 'aiocqhttp_like.py']) {
  test(`${name}: a healthy reader flooded with events as fast as the link takes them is never restarted (stall 4 s, sampled every 200 ms)`, { skip: requireBotRuntime(name) }, async (t) => {
    const FLOOD_S = 6;
    const port = await freePort();
    const run = startWatchdog(t, botConfig(name, port, { grace: '30s', stall: '4s' }));
    const spawned = await run.waitForEvent('child.spawn');
    const botPid = spawned.pid as number;
    await run.waitForStdout(/listening on 127\.0\.0\.1:\d+ pid=/);
    await afterStartupGrace(spawned);
    const path = name.endsWith('.py') ? '/ws' : '/onebot';
    const sender = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../helpers/napcat-flood.ts', import.meta.url)), `ws://127.0.0.1:${port}${path}`, String(FLOOD_S), 'max'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    t.after(() => sender.kill('SIGKILL'));
    let out = '';
    sender.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    const exited = once(sender, 'exit');
    // The flood does fill the bot's receive queue: the probe has something to judge.
    const sampler = new LinkSampler({ root: { pid: botPid } });
    let maxQueue = 0;
    let done = false;
    void exited.then(() => (done = true));
    while (!done) {
      const sample = sampler.sample((c: TreeConnection) => c.localPort === port);
      if (sample.kind === 'ok') maxQueue = Math.max(maxQueue, ...sample.links.map((c) => c.rxQueue));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const stats = JSON.parse(out.trim()) as { sent: number; answered: number };
    assert.ok(stats.sent > 5000 && stats.answered > 1000, JSON.stringify(stats));
    assert.ok(maxQueue > 0, 'unread bytes were seen waiting during the flood');
    assert.deepEqual(run.logs().filter((r) => r.event === 'child.stop' || r.event === 'probe.failed'), [], 'never restarted');
    assert.ok(run.logs().some((r) => r.event === 'probe.link.target' && r.listen === `127.0.0.1:${port}` && r.stallMs === 4000));
  });
}

test('no EADDRINUSE crash loop: a start waits while another process still listens on the bot\'s port, saying who, then starts the bot', { skip: requireTool(...PYTHON) }, async (t) => {
  const port = await freePort();
  // What a killed bot's escaped helper (or an old instance) would be: a process holding the port.
  const holder = spawn(process.execPath, ['-e', `require('net').createServer().listen(${port}, '127.0.0.1', () => console.log('listening'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => holder.kill('SIGKILL'));
  await once(holder.stdout as NodeJS.ReadableStream, 'data');
  const run = startWatchdog(t, botConfig('aiocqhttp_like.py', port, { grace: '5s' }));
  const busy = await run.waitForEvent('child.port-busy');
  assert.deepEqual((busy.holders as { pid: number }[]).map((h) => h.pid), [holder.pid]);
  assert.equal(run.logs().filter((r) => r.event === 'child.spawn').length, 0, 'not started while the port is held');
  const freedAt = Date.now();
  holder.kill('SIGTERM');
  await run.waitForEvent('child.port-free');
  const spawned = await run.waitForEvent('child.spawn');
  assert.ok(msSince(freedAt, spawned) < 5000, 'started soon after the port was free');
  assert.ok(isSameProcess(spawned.pid as number, processStartTime(spawned.pid as number) as number));
  assert.equal(run.logs().filter((r) => r.event === 'child.exit').length, 0, 'the bot did not crash on a busy port');
});
