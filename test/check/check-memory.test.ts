import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decide, EMPTY_MEMORY, readMemory, writeMemory, type CheckMemory, type RunVerdict } from '../../src/check/check-memory.js';

const MIN = 60_000;
const T0 = Date.parse('2026-01-01T00:00:00.000Z');

/** Runs verdicts through decide() one minute apart, as cron would; records the action when it runs. */
function replay(verdicts: RunVerdict[], options = { failures: 3, cooldownMs: 10 * MIN }) {
  let memory: CheckMemory = { ...EMPTY_MEMORY };
  const out: string[] = [];
  verdicts.forEach((verdict, i) => {
    const now = T0 + i * MIN;
    const decision = decide(memory, verdict, { ...options, now });
    memory = decision.memory;
    if (decision.action.run) memory = { ...memory, lastAction: { command: 'x', startedAt: new Date(now).toISOString() } };
    out.push(`${decision.status}${decision.action.run ? '+act' : decision.action.skipped === 'cooldown' ? '+cool' : ''}`);
  });
  return { out, memory };
}

test('--failures 3: unhealthy only from the third unhealthy run in a row; a healthy run resets', () => {
  const { out } = replay(['unhealthy', 'unhealthy', 'healthy', 'unhealthy', 'unhealthy', 'unhealthy', 'unhealthy']);
  assert.deepEqual(out, ['healthy', 'healthy', 'healthy', 'healthy', 'healthy', 'unhealthy+act', 'unhealthy+cool']);
});

test('--cooldown: the action runs again only once the cooldown is over', () => {
  const { out } = replay(Array(13).fill('unhealthy'), { failures: 1, cooldownMs: 10 * MIN });
  assert.deepEqual(out, ['unhealthy+act', ...Array(9).fill('unhealthy+cool'), 'unhealthy+act', 'unhealthy+cool', 'unhealthy+cool']);
});

test('a run that could not check keeps the streak as it was and never acts', () => {
  const { out, memory } = replay(['unhealthy', 'cannot-check', 'unhealthy', 'unhealthy']);
  assert.deepEqual(out, ['healthy', 'cannot-check', 'healthy', 'unhealthy+act']);
  assert.equal(memory.consecutiveFailures, 3);
  assert.equal(memory.failingSince, '2026-01-01T00:00:00.000Z');
});

test('memory file: missing is empty, written 0600, unreadable is told apart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-mem-'));
  const file = join(dir, 'check.json');
  assert.deepEqual(readMemory(file), { status: 'ok', memory: EMPTY_MEMORY });
  const memory: CheckMemory = { ...EMPTY_MEMORY, consecutiveFailures: 2, failingSince: 'x', lastRun: { at: 'y', verdict: 'unhealthy' } };
  writeMemory(file, memory);
  assert.deepEqual(readMemory(file), { status: 'ok', memory });
  assert.equal(statSync(file).mode & 0o777, 0o600);
  writeFileSync(file, 'nope');
  assert.equal(readMemory(file).status, 'unreadable');
  writeFileSync(file, JSON.stringify({ ...memory, consecutiveFailures: -1 }));
  assert.equal(readMemory(file).status, 'unreadable');
});
