// Fault matrix: signals to the watchdog not asserted elsewhere. SIGTERM, a second SIGTERM and
// SIGHUP are test/cli/supervision.test.ts and test/cli/process-tree.test.ts; SIGKILL then a new
// `run` is test/cli/never-two-bots.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture } from '../helpers/watchdog-process.js';
import { events, node, noStackTrace, noZombie, startWatchdog, Trees } from './fault-helpers.js';

test('SIGINT twice (Ctrl-C, then again) to a tree that ignores SIGINT: forwarded, then SIGKILL to the whole tree at once, exit 137', async (t) => {
  // stop.timeout 1h: only the second SIGINT can end this in time.
  const run = startWatchdog(t, { command: [node, fixture('bots/ignore-signals-tree.mjs')], stop: { timeout: '1h' } });
  await run.waitForStdout(/ignore-signals-tree: ready \d+ \d+\n/);
  const trees = new Trees(run);
  await trees.oneBot();
  assert.equal(trees.live().length, 2);
  await noZombie(run);
  run.kill('SIGINT');
  await run.waitForStdout(/ignore-signals-tree: ignoring SIGINT/);
  assert.equal(events(run, 'child.kill')[0]?.signal, 'SIGINT', 'SIGINT is forwarded as itself');
  run.kill('SIGINT');
  assert.deepEqual(await run.exited, { code: 137, signal: null });
  assert.equal(events(run, 'watchdog.force').length, 1, 'one line says the second signal forced it');
  assert.equal(events(run, 'child.kill').at(-1)?.signal, 'SIGKILL');
  assert.equal(events(run, 'watchdog.exit').at(-1)?.code, 137);
  await trees.nothingLeft();
  noStackTrace(run);
});
