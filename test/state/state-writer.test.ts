import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../src/clock/clock.js';
import { StateWriter } from '../../src/state/state-writer.js';
import { readStateFile, type StateFile } from '../../src/state/state-file.js';
import { memoryLogger } from '../helpers/log-sink.js';
import { baseOptions, harness } from '../supervisor/harness.js';

function setup(file = join(mkdtempSync(join(tmpdir(), 'bw-writer-')), '.bot-watchdog', 'state.json')) {
  const log = memoryLogger();
  let wall = Date.parse('2026-01-01T00:00:00.000Z');
  const writer = new StateWriter({ file, configFile: '/x/watchdog.config.json', command: ['bot', '--flag'], version: '9.9.9', logger: log.logger, clock: { ...systemClock, wallNow: () => wall } });
  const h = harness(baseOptions(), { plugins: [writer] });
  const read = (): StateFile => {
    const result = readStateFile(file);
    assert.equal(result.status, 'ok', JSON.stringify(result));
    return (result as { state: StateFile }).state;
  };
  return { h, read, file, log, tick: (ms: number) => (wall += ms) };
}

test('every transition is written: spawn (with pid, marker), exit, backoff, restart, a new bot', async () => {
  const { h, read, tick } = setup();
  await h.flush();
  let state = read();
  assert.equal(state.state, 'running');
  assert.equal(state.watchdog.pid, process.pid);
  assert.equal(state.watchdog.version, '9.9.9');
  assert.equal(state.watchdog.configFile, '/x/watchdog.config.json');
  assert.equal(typeof state.watchdog.startTime, 'number');
  assert.equal(state.bot?.pid, 100);
  assert.deepEqual(state.bot?.marker, { name: 'BOT_WATCHDOG_TREE', value: 'test' });
  assert.deepEqual(state.bot?.command, ['bot', '--flag']);
  assert.equal(state.restarts, 0);

  tick(5000);
  await h.crash(1);
  state = read();
  assert.equal(state.state, 'backoff');
  assert.equal(state.bot, null);
  assert.equal(state.restarts, 1);
  assert.deepEqual(state.lastRestart, { reason: 'exited', at: '2026-01-01T00:00:05.000Z' });
  assert.deepEqual(state.lastExit, { pid: 100, code: 1, signal: null, uptimeMs: 0, at: '2026-01-01T00:00:05.000Z' });

  await h.clock.advance(1000);
  state = read();
  assert.equal(state.state, 'running');
  assert.equal(state.bot?.pid, 101);

  h.supervisor.shutdown('SIGTERM');
  await h.done;
  state = read();
  assert.equal(state.state, 'stopped');
  assert.equal(state.bot, null);
  assert.equal(state.restarts, 1);
});

test('probe verdicts are kept; a change of verdict is written at once, a repeat waits for the next write', async () => {
  const { h, read, tick } = setup();
  await h.flush();
  h.health.report({ probe: 'heartbeat', verdict: 'healthy', reason: 'file is 1s old', latencyMs: 0.4 });
  assert.deepEqual(read().probes.heartbeat, {
    verdict: 'healthy', reason: 'file is 1s old', latencyMs: 0, at: '2026-01-01T00:00:00.000Z', since: '2026-01-01T00:00:00.000Z',
  });
  tick(1000);
  h.health.report({ probe: 'heartbeat', verdict: 'healthy', reason: 'file is 2s old', latencyMs: 0 });
  assert.equal(read().probes.heartbeat?.reason, 'file is 1s old', 'same verdict: no write');
  tick(1000);
  h.health.report({ probe: 'heartbeat', verdict: 'unhealthy', reason: 'file is 95s old', latencyMs: 3 });
  assert.deepEqual(read().probes.heartbeat, {
    verdict: 'unhealthy', reason: 'file is 95s old', latencyMs: 3, at: '2026-01-01T00:00:02.000Z', since: '2026-01-01T00:00:02.000Z',
  });
  h.supervisor.shutdown('SIGTERM');
  await h.done;
});

test('a state file that cannot be written is one warning, and supervision goes on', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-writer-'));
  writeFileSync(join(dir, 'not-a-dir'), '');
  const { h, log } = setup(join(dir, 'not-a-dir', 'state.json'));
  await h.flush();
  await h.crash(1);
  await h.clock.advance(1000);
  assert.equal(h.children.length, 2);
  const warnings = log.events('state.error');
  assert.equal(warnings.length, 1);
  assert.match(String(warnings[0]?.error), /ENOTDIR|EEXIST/);
  h.supervisor.shutdown('SIGTERM');
  await h.done;
});

test('the marker of the next bot is written before it is spawned, and cleared once the bot is recorded', async () => {
  const { h, read } = setup();
  const atSpawn: StateFile[] = [];
  // Listeners run in order: the writer's (added when the supervisor started it) has written by now.
  h.supervisor.events.on('prespawn', () => atSpawn.push(read()));
  await h.flush();
  assert.equal(atSpawn.length, 1);
  assert.equal(atSpawn[0]?.bot, null);
  assert.deepEqual(atSpawn[0]?.spawning?.marker, { name: 'BOT_WATCHDOG_TREE', value: 'test' });
  assert.equal(h.children.length, 1, 'spawned after that write');
  const running = read();
  assert.equal(running.spawning, undefined);
  assert.equal(running.bot?.pid, 100);
  await h.crash(1);
  await h.clock.advance(1000);
  assert.equal(atSpawn.length, 2);
  assert.equal(atSpawn[1]?.bot, null, 'the old bot is gone; the new one is not spawned yet');
  assert.ok(atSpawn[1]?.spawning);
  h.supervisor.shutdown('SIGTERM');
  await h.done;
});
