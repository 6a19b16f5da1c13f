import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SourceLog } from '../../src/net/source-log.js';
import { KeyedRateLimit } from '../../src/status/rate-limit.js';

test('SourceLog: the first refusal of a source at once, then at most one line a minute with the count since the last', () => {
  let now = 0;
  const lines: string[] = [];
  const log = new SourceLog((source, reason, count) => lines.push(`${source} ${reason} ${count}`), () => now, 60_000, 2);
  log.note('10.0.0.1', 'cut');
  log.note('10.0.0.1', 'cut');
  log.note('10.0.0.2', 'cut');
  now = 59_999;
  log.note('10.0.0.1', 'cut');
  now = 60_000;
  log.note('10.0.0.1', 'cut');
  assert.deepEqual(lines, ['10.0.0.1 cut 1', '10.0.0.2 cut 1', '10.0.0.1 cut 3']);
  // Bounded: a third source pushes out the one seen least recently (10.0.0.2), which starts over.
  log.note('10.0.0.3', 'cut');
  log.note('10.0.0.2', 'cut');
  assert.deepEqual(lines.slice(3), ['10.0.0.3 cut 1', '10.0.0.2 cut 1']);
});

test('KeyedRateLimit: one source using up its budget leaves another its own', () => {
  const limit = new KeyedRateLimit(0.001, 2, () => 0);
  assert.deepEqual([limit.take('a'), limit.take('a'), limit.take('a')], [true, true, false]);
  assert.deepEqual([limit.take('b'), limit.take('b'), limit.take('b')], [true, true, false]);
});
