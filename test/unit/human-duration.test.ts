import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanDuration, seconds } from '../../src/human-duration.js';
import { formatHostPort } from '../../src/net/listen-address.js';

test('durations for people: at most two units, no zero minor unit', () => {
  const cases: [number, string][] = [
    [0, '0ms'], [850, '850ms'], [1000, '1s'], [42_400, '42s'], [60_000, '1m'], [302_000, '5m 2s'],
    [3_600_000, '1h'], [10_980_000, '3h 3m'], [86_400_000, '1d'], [93_600_000, '1d 2h'], [-5, '0ms'],
  ];
  for (const [ms, text] of cases) assert.equal(humanDuration(ms), text, String(ms));
});

test('seconds for reasons: one decimal below 10 s, whole seconds from 10 s', () => {
  const cases: [number, string][] = [[0, '0.0s'], [940, '0.9s'], [9_949, '9.9s'], [9_999, '10.0s'], [10_000, '10s'], [95_400, '95s']];
  for (const [ms, text] of cases) assert.equal(seconds(ms), text, String(ms));
});

test('host:port, an IPv6 address in brackets', () => {
  assert.equal(formatHostPort('127.0.0.1', 8080), '127.0.0.1:8080');
  assert.equal(formatHostPort('mirai.local', 1), 'mirai.local:1');
  assert.equal(formatHostPort('::1', 6700), '[::1]:6700');
  assert.equal(formatHostPort('fe80::1%eth0', 80), '[fe80::1%eth0]:80');
});
