// Issue 16 item 3: a hung bot is killed after stop.hungTimeout, not stop.timeout. The bot's loop
// blocks for good (its heartbeat freezes) and its SIGTERM handler can never run: SIGKILL must come
// after hungTimeout (1 s) although stop.timeout is 60 s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture } from '../helpers/watchdog-process.js';
import { events, node, noStackTrace, startWatchdog } from './fault-helpers.js';

test('a hung bot that ignores SIGTERM (frozen heartbeat) gets SIGKILL after stop.hungTimeout, not stop.timeout', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'bw-fault-hung-'));
  const file = join(root, 'heartbeat');
  const run = startWatchdog(t, {
    command: [node, fixture('bots/hung-ignore-term.mjs'), file],
    // Generous: on a loaded machine the bot must never look stale before it is frozen.
    startup: { grace: '3s' },
    stop: { timeout: '60s', hungTimeout: '1s' },
    probes: { heartbeat: { file, maxAge: '3s', interval: '200ms' } },
    restart: { limit: { count: 0, window: '1m' } },
  }, root);
  const first = await run.waitForEvent('child.spawn');
  await run.waitForStdout(/hung-ignore-term: ready \d+\n/);
  assert.deepEqual(events(run, 'child.stop'), [], run.stderr());
  process.kill(first.pid as number, 'SIGUSR1');
  const stop = await run.waitForEvent('child.stop', (r) => r.reason === 'heartbeat-stale');
  assert.equal(stop.killAfterMs, 1000);
  const exit = await run.waitForEvent('child.exit', (r) => r.pid === first.pid, 30_000);
  assert.equal(exit.signal, 'SIGKILL');
  const kills = events(run, 'child.kill').map((r) => r.signal);
  assert.deepEqual(kills.slice(0, 2), ['SIGTERM', 'SIGKILL']);
  const at = (r: Record<string, unknown>) => (typeof r['time'] === 'number' ? r['time'] : Date.parse(String(r['time'])));
  const waited = at(exit) - at(stop);
  assert.ok(waited >= 900 && waited < 30_000, `SIGKILL came ${waited}ms after the stop (hungTimeout 1 s, timeout 60 s)`);
  await run.waitForEvent('child.spawn', (r) => r.pid !== first.pid);
  noStackTrace(run);
});
