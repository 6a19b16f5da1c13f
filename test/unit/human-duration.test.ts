import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanDuration } from '../../src/human-duration.js';

test('durations for people: at most two units, no zero minor unit', () => {
  const cases: [number, string][] = [
    [0, '0ms'], [850, '850ms'], [1000, '1s'], [42_400, '42s'], [60_000, '1m'], [302_000, '5m 2s'],
    [3_600_000, '1h'], [10_980_000, '3h 3m'], [86_400_000, '1d'], [93_600_000, '1d 2h'], [-5, '0ms'],
  ];
  for (const [ms, text] of cases) assert.equal(humanDuration(ms), text, String(ms));
});
