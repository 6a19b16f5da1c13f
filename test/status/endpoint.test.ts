// The status endpoint of a real watchdog (the built CLI) supervising a fixture bot beside a fake
// mirai-api-http: /status against `bot-watchdog status --json`, /metrics through promtool, a
// restart seen in /healthz and the metrics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { get, json, rawSocket } from '../helpers/status-client.js';
import { KEY, promtool, startWatchdog, superviseWithEndpoint } from '../helpers/status-watchdog.js';
import { waitUntil } from '../helpers/wait.js';
import { BIN } from '../helpers/watchdog-process.js';
import { requireTool } from '../helpers/require-tool.js';

test('a real watchdog: /healthz, /status is `status --json`, /metrics passes promtool, a killed bot is a restart', { skip: requireTool('promtool', 'prometheus') }, async (t) => {
  const { run, port, config, botPid } = await superviseWithEndpoint(t);

  // Healthy once every probe (mirai-http, mirai-ws, heartbeat) has said so after the start grace
  // (a probe counts once it has reported: the backend's report before the bot starts, the heartbeat's after).
  const healthy = await waitUntil(async () => {
    const reply = await get(port, '/healthz');
    return reply.status === 200 && 'heartbeat' in (json(reply).probes as object) ? json(reply) : undefined;
  }, 20_000);
  assert.equal(healthy.pid, botPid);
  assert.deepEqual(healthy.probes, { heartbeat: 'healthy', 'mirai-http': 'healthy', 'mirai-ws': 'healthy' });

  const live = json(await get(port, '/status'));
  const cli = spawnSync(process.execPath, [BIN, 'status', '--json', '--config', config], { encoding: 'utf8' });
  assert.equal(cli.status, 0, cli.stderr);
  const fromFile = JSON.parse(cli.stdout) as Record<string, unknown>;
  // Same fields, same values; only what moves with time may differ (the file is written on transitions).
  const stable = (report: Record<string, any>) => ({
    ...report,
    updatedAt: typeof report.updatedAt,
    watchdog: { ...report.watchdog, uptimeMs: typeof report.watchdog.uptimeMs },
    bot: { ...report.bot, uptimeMs: typeof report.bot.uptimeMs },
    probes: Object.fromEntries(Object.entries(report.probes as Record<string, { verdict: string }>).map(([name, p]) => [name, p.verdict])),
  });
  assert.deepEqual(stable(live), stable(fromFile));
  assert.equal((live.bot as { pid: number }).pid, botPid);

  const before = (await get(port, '/metrics')).body;
  const check = promtool(before);
  assert.equal(check.code, 0, check.output);
  assert.equal(check.output.trim(), '', 'no lint problem');
  assert.match(before, /^bot_watchdog_bot_up 1$/m);
  assert.match(before, /^bot_watchdog_backend_up\{backend="mirai"\} 1$/m);
  assert.match(before, /^bot_watchdog_account_online\{backend="mirai"\} 1$/m);
  assert.match(before, /^bot_watchdog_probe_up\{probe="heartbeat"\} 1$/m);
  assert.match(before, /^bot_watchdog_probe_latency_seconds_count\{probe="mirai-http"\} [1-9]/m);
  assert.match(before, /^bot_watchdog_restarts_total\{reason="exited"\} 0$/m);
  assert.doesNotMatch(before, new RegExp(KEY));

  process.kill(botPid, 'SIGKILL');
  const respawn = await run.waitForEvent('child.spawn', (r) => r.pid !== botPid);
  const after = await waitUntil(async () => {
    const text = (await get(port, '/metrics')).body;
    return /^bot_watchdog_restarts_total\{reason="exited"\} 1$/m.test(text) ? text : undefined;
  });
  assert.equal(promtool(after).code, 0);
  const lastRestart = Number(/^bot_watchdog_last_restart_timestamp_seconds (\d+)$/m.exec(after)?.[1]);
  assert.ok(Math.abs(lastRestart - Date.now() / 1000) < 60, `last restart time ${lastRestart} is now`);
  const status = json(await get(port, '/status'));
  assert.equal(status.restarts, 1);
  assert.equal((status.lastRestart as { reason: string }).reason, 'exited');
  assert.equal((status.lastExit as { signal: string }).signal, 'SIGKILL');
  assert.equal((status.bot as { pid: number }).pid, respawn.pid);
});

test('a watchdog whose status port is taken logs status.failed and supervises all the same', async (t) => {
  const first = await superviseWithEndpoint(t);
  const { run } = await startWatchdog(t, { listen: `127.0.0.1:${first.port}` });
  const failed = await run.waitForEvent('status.failed');
  assert.equal(failed.code, 'EADDRINUSE');
  assert.equal(failed.level, 'error');
  const spawn = await run.waitForEvent('child.spawn');
  assert.ok(Number(spawn.pid) > 0, 'the bot was started anyway');
  assert.equal((await get(first.port, '/status').then(json)).running, true, 'the first endpoint is untouched');
});

test('a flood of connections and requests does not disturb supervision: a killed bot is restarted meanwhile', async (t) => {
  const { run, port, botPid } = await superviseWithEndpoint(t);
  // 80 idle connections (the cap is 32: the rest are closed at once) and 8 clients asking as fast as they can.
  const idle = await Promise.all(Array.from({ length: 80 }, () => rawSocket(port).catch(() => undefined)));
  t.after(() => idle.forEach((socket) => socket?.destroy()));
  let flooding = true;
  const answers = new Map<number, number>();
  const clients = Array.from({ length: 8 }, async () => {
    for (let i = 0; flooding && i < 2000; i++) {
      const status = await get(port, i % 2 ? '/metrics' : '/status').then((reply) => reply.status, () => 0);
      answers.set(status, (answers.get(status) ?? 0) + 1);
    }
  });
  process.kill(botPid, 'SIGKILL');
  const respawn = await run.waitForEvent('child.spawn', (r) => r.pid !== botPid);
  flooding = false;
  await Promise.all(clients);
  assert.ok(Number(respawn.pid) > 0);
  assert.equal(run.logs().filter((r) => r.event === 'restart.scheduled').length, 1);
  for (const socket of idle) socket?.destroy();
  // Once the flood is over the endpoint answers normally again.
  const healthy = await waitUntil(async () => (await get(port, '/healthz').catch(() => undefined))?.status === 200, 20_000);
  assert.ok(healthy);
  assert.ok([...answers.keys()].every((status) => [0, 200, 429].includes(status)), `answers: ${JSON.stringify([...answers])}`);
});
