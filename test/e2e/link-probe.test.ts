// The bot's own link to the backend (issue 4): the fake Mirai drops ONLY the bot's WebSocket while
// it stays healthy for everyone else; the fixture bots stay alive but deaf. The link probe must
// restart them within grace + 2 s, and the new bot must link again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSameProcess, processStartTime } from '../../src/process/proc-stat.js';
import { LinkSampler } from '../../src/probes/link/link-probe.js';
import { waitUntil } from '../helpers/wait.js';
import { WsClient } from '../helpers/ws-client.js';
import { BOTS, botConfig, KEY, msSince, QQ, startFake, startWatchdog } from './bot-probe-helpers.js';
import { PYTHON, requireBotRuntime, requireTool } from '../helpers/require-tool.js';

const GRACE_MS = 1000;
const STARTUP_GRACE_MS = 2000;

/** The bot's ESTABLISHED connections to `port`, read from /proc (its tree: the root is enough here). */
function connectionsTo(pid: number, port: number): number {
  const sample = new LinkSampler({ root: { pid } }).sample(() => false);
  return sample.kind === 'ok' ? sample.connections.filter((c) => c.remotePort === port).length : 0;
}

for (const bot of BOTS) {
  test(`${bot}: link dropped by the backend → restarted by the link probe within grace + 2 s; a fresh link afterwards`, { skip: requireBotRuntime(bot) }, async (t) => {
    const fake = await startFake(t);
    // Someone else linked to the same backend: their connection is not the bot's.
    const registered = fake.waitForConnection();
    const bystander = await WsClient.open(`${fake.wsUrl}/all?verifyKey=${KEY}&qq=${QQ}`);
    t.after(() => bystander.terminate());
    const bystanderId = (await registered).id;
    const botLinked = fake.waitForConnection((c) => c.id !== bystanderId, 30_000);
    const run = startWatchdog(t, {
      ...botConfig(bot, fake),
      backend: { kind: 'none' },
      startup: { grace: `${STARTUP_GRACE_MS}ms` },
      probes: { link: { target: `127.0.0.1:${fake.port}`, grace: `${GRACE_MS}ms`, interval: '200ms' } },
    });
    const first = await botLinked;
    const spawn = await run.waitForEvent('child.spawn');
    const botPid = spawn.pid as number;
    const botStart = processStartTime(botPid) as number;
    // The WebSocket is the bot's only connection to the backend: mirai-js's HTTP verify/bind
    // socket (kept alive by Node's agent) counts as a link too, until the server closes it.
    await waitUntil(() => connectionsTo(botPid, fake.port) === 1, 20_000, 50);
    // Measured from the drop, the restart must not wait for startup.grace: let it pass first.
    const graceEnds = Date.parse(String(spawn.time)) + STARTUP_GRACE_MS;
    await waitUntil(() => Date.now() >= graceEnds, 20_000, 20);
    assert.equal(run.logs().filter((r) => r.event === 'child.stop').length, 0, 'no restart while linked');

    const relinked = fake.waitForConnection((c) => c.id !== bystanderId && c.id !== first.id, 30_000);
    const droppedAt = Date.now();
    assert.equal(fake.dropConnection((c) => c.id === first.id), 1);
    const stop = await run.waitForEvent('child.stop', (r) => r.reason === 'link-lost');
    const elapsed = msSince(droppedAt, stop);
    assert.ok(elapsed >= GRACE_MS - 500 && elapsed <= GRACE_MS + 2000, `restarted ${elapsed} ms after the drop`);
    assert.equal(stop.pid, botPid);
    assert.equal(stop.probe, 'link');
    assert.equal(stop.target, `127.0.0.1:${fake.port}`);
    assert.equal(typeof stop.lastSeenAt, 'string', 'the evidence says when the link was last seen');
    assert.ok(Date.parse(String(stop.lastSeenAt)) <= droppedAt + 50);
    assert.ok((stop.missingForMs as number) >= GRACE_MS);
    const failed = run.logs().find((r) => r.event === 'probe.failed' && r.probe === 'link');
    assert.ok(failed, 'probe.failed logged');
    assert.equal(failed.lastSeenAt, stop.lastSeenAt);
    assert.match(run.stdout(), /WebSocket 通道意外关闭。code: 1006/);

    const fresh = await relinked;
    const second = await run.waitForEvent('child.spawn', (r) => r.pid !== botPid);
    assert.ok(fresh.connectedAt.getTime() >= Date.parse(String(second.time)));
    assert.equal(isSameProcess(botPid, botStart), false, 'the deaf bot is gone');
    assert.ok(fake.connections().some((c) => c.id === bystanderId), 'the bystander was never dropped');
    assert.equal(run.logs().filter((r) => r.event === 'child.stop').length, 1, 'one restart, no flapping');
    const scheduled = run.logs().find((r) => r.event === 'restart.scheduled');
    assert.deepEqual([scheduled?.reason, scheduled?.attempt], ['link-lost', 1]);
  });
}

test('with the mirai backend watcher on: the link target defaults to backend.url, and the watchdog\'s own link never counts', { skip: requireTool(...PYTHON) }, async (t) => {
  const fake = await startFake(t);
  const botLinked = fake.waitForConnection((c) => c.path === '/all', 30_000);
  const run = startWatchdog(t, {
    ...botConfig('qchatgpt_like.py', fake),
    backend: { kind: 'mirai', url: fake.url, verifyKey: KEY, qq: QQ },
    startup: { grace: `${STARTUP_GRACE_MS}ms` },
    probes: { link: { grace: `${GRACE_MS}ms`, interval: '200ms' } },
  });
  const first = await botLinked;
  const spawn = await run.waitForEvent('child.spawn');
  const watchdogLink = fake.connections().find((c) => c.path !== '/all');
  assert.ok(watchdogLink, 'the backend watcher keeps its own link to the same port');
  const graceEnds = Date.parse(String(spawn.time)) + STARTUP_GRACE_MS;
  await waitUntil(() => Date.now() >= graceEnds, 20_000, 20);

  const droppedAt = Date.now();
  assert.equal(fake.dropConnection((c) => c.id === first.id), 1);
  const stop = await run.waitForEvent('child.stop', (r) => r.reason === 'link-lost');
  assert.ok(msSince(droppedAt, stop) <= GRACE_MS + 2000);
  assert.equal(stop.target, `127.0.0.1:${fake.port}`);
  assert.equal(run.logs().filter((r) => r.event === 'child.stop' && r.reason === 'backend-down').length, 0, 'the backend stayed healthy');
  assert.ok(fake.connections().some((c) => c.id === watchdogLink.id), 'the watchdog\'s own link was not dropped');
  await fake.waitForConnection((c) => c.path === '/all' && c.id !== first.id, 30_000);
});
