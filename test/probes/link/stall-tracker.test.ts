import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TreeConnection } from '../../../src/probes/link/link-sampler.js';
import { StallTracker } from '../../../src/probes/link/stall-tracker.js';

const c = (rxQueue: number, remotePort = 50000): TreeConnection => ({
  pid: 9,
  localAddress: '127.0.0.1',
  localPort: 2280,
  remoteAddress: '127.0.0.1',
  remotePort,
  rxQueue,
});

test('bytes waiting and never shrinking for longer than stall, seen by two samples at least, = stalled', () => {
  const tracker = new StallTracker(3000);
  assert.equal(tracker.update(0, [c(0)]), undefined);
  assert.equal(tracker.dueInMs(0), undefined, 'nothing waiting: nothing due');
  assert.equal(tracker.update(1000, [c(120)]), undefined);
  // The clock counts from the last sample that saw the queue empty (0 ms).
  assert.equal(tracker.dueInMs(1000), 2001);
  assert.equal(tracker.update(2000, [c(120)]), undefined);
  assert.equal(tracker.update(3000, [c(300)]), undefined, 'exactly stall: not longer');
  const stall = tracker.update(3001, [c(300)]);
  assert.deepEqual(stall, {
    connection: '127.0.0.1:2280 ← 127.0.0.1:50000',
    pid: 9,
    stalledForMs: 3001,
    rxQueue: 300,
    rxQueueSamples: [120, 120, 300, 300],
    samples: 4,
  });
});

test('a queue that empties or shrinks shows the bot reading: the clock starts again', () => {
  const tracker = new StallTracker(3000);
  tracker.update(0, [c(0)]);
  tracker.update(1000, [c(500)]);
  tracker.update(2000, [c(800)]);
  tracker.update(3000, [c(700)]); // read some: progress at 3000
  assert.equal(tracker.update(5000, [c(700)]), undefined);
  assert.equal(tracker.update(6000, [c(900)]), undefined, '3000 ms since it shrank: not longer than stall');
  assert.equal(tracker.update(6001, [c(900)])?.stalledForMs, 3001);
  tracker.update(7000, [c(0)]);
  assert.equal(tracker.update(9000, [c(50)]), undefined);
  assert.equal(tracker.update(10_001, [c(50)])?.stalledForMs, 3001, 'counted from the empty sample at 7000');
});

test('one sample alone never makes a stall, however long since the last one; a closed connection is forgotten', () => {
  const tracker = new StallTracker(1000);
  tracker.update(0, [c(0)]);
  assert.equal(tracker.update(60_000, [c(10)]), undefined, 'a single sighting after a long gap (the watchdog was busy)');
  assert.ok(tracker.update(60_100, [c(10)]), 'the second non-shrinking sample confirms it');
  tracker.update(60_200, []);
  assert.equal(tracker.dueInMs(60_200), undefined);
  assert.equal(tracker.update(60_300, [c(10)]), undefined, 'seen anew: one sample');
});

test('each connection has its own history; the worst stall is reported; reset forgets all', () => {
  const tracker = new StallTracker(1000);
  tracker.update(0, [c(0, 1), c(5, 2)]);
  tracker.update(500, [c(0, 1), c(5, 2)]);
  const stall = tracker.update(1500, [c(7, 1), c(5, 2)]);
  assert.equal(stall?.connection, '127.0.0.1:2280 ← 127.0.0.1:2', 'port 1: only one sample saw its bytes');
  assert.equal(stall?.stalledForMs, 1500, 'first seen with bytes at 0: counted from then (no earlier sample)');
  tracker.reset();
  assert.equal(tracker.update(1600, [c(5, 2)]), undefined);
});
