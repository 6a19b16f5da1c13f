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

/** Feeds one sample and returns the stall at that moment. */
const feed = (tracker: StallTracker, at: number, connections: TreeConnection[]) => {
  tracker.update(at, connections);
  return tracker.stalled(at);
};

test('bytes waiting and never shrinking for longer than stall, seen by two samples at least, = stalled', () => {
  const tracker = new StallTracker(3000, 1000);
  assert.equal(new StallTracker(3000).confirmMs, 1500, 'by default half the stall, at most 2 s');
  assert.equal(new StallTracker(30_000).confirmMs, 2000);
  assert.equal(feed(tracker, 0, [c(0)]), undefined);
  assert.equal(tracker.dueInMs(0), undefined, 'nothing waiting: nothing due');
  assert.equal(feed(tracker, 1000, [c(120)]), undefined);
  // The clock counts from the last sample that saw the queue empty (0 ms): due at 3001; the close
  // look begins confirmMs before.
  assert.equal(tracker.dueInMs(1000), 1001);
  assert.equal(tracker.suspect(1000), false);
  assert.equal(feed(tracker, 2000, [c(120)]), undefined);
  assert.equal(tracker.suspect(2000), false);
  assert.equal(tracker.suspect(2001), true, 'due within the close look');
  assert.equal(feed(tracker, 3000, [c(300)]), undefined, 'exactly stall: not longer');
  assert.deepEqual(feed(tracker, 3001, [c(300)]), {
    connection: '127.0.0.1:2280 ← 127.0.0.1:50000',
    pid: 9,
    stalledForMs: 3001,
    rxQueue: 300,
    rxQueueSamples: [120, 120, 300, 300],
    samples: 4,
  });
});

test('a queue that empties or shrinks shows the bot reading: the clock starts again', () => {
  const tracker = new StallTracker(3000, 1000);
  feed(tracker, 0, [c(0)]);
  feed(tracker, 1000, [c(500)]);
  feed(tracker, 2000, [c(800)]);
  feed(tracker, 3000, [c(700)]); // read some: progress at 3000
  assert.equal(tracker.suspect(3000), false);
  assert.equal(feed(tracker, 5000, [c(700)]), undefined);
  assert.equal(feed(tracker, 6000, [c(900)]), undefined, '3000 ms since it shrank: not longer than stall');
  assert.equal(feed(tracker, 6001, [c(900)])?.stalledForMs, 3001);
  feed(tracker, 7000, [c(0)]);
  assert.equal(feed(tracker, 9000, [c(50)]), undefined);
  assert.equal(feed(tracker, 10_001, [c(50)])?.stalledForMs, 3001, 'counted from the empty sample at 7000');
});

test('one sample alone is never a stall, however long since the last one; a closed connection is forgotten', () => {
  const tracker = new StallTracker(1000);
  assert.equal(tracker.confirmMs, 500, 'half the stall when that is under 1 s');
  feed(tracker, 0, [c(0)]);
  assert.equal(feed(tracker, 60_000, [c(10)]), undefined, 'a single sighting after a long gap (the watchdog was busy)');
  assert.equal(tracker.suspect(60_000), true, 'but a close look is due at once');
  assert.ok(feed(tracker, 60_020, [c(10)]));
  feed(tracker, 60_100, []);
  assert.equal(tracker.dueInMs(60_100), undefined);
  assert.equal(feed(tracker, 60_200, [c(10)]), undefined, 'seen anew: one sample');
});

test('the evidence spreads at most 10 queue sizes over a long run, the first and the latest included', () => {
  const tracker = new StallTracker(10_000, 1000);
  feed(tracker, 0, [c(0)]);
  for (let at = 20, rx = 1; at <= 10_100; at += 20, rx++) tracker.update(at, [c(rx)]);
  const stall = tracker.stalled(10_100);
  assert.ok(stall);
  assert.equal(stall.rxQueueSamples.length, 10);
  assert.equal(stall.rxQueueSamples[0], 1);
  assert.equal(stall.rxQueueSamples.at(-1), stall.rxQueue);
  assert.ok(stall.rxQueueSamples.every((rx, i) => i === 0 || rx > (stall.rxQueueSamples[i - 1] as number)));
});

test('each connection has its own history; the worst stall is reported; reset forgets all', () => {
  const tracker = new StallTracker(1000);
  feed(tracker, 0, [c(0, 1), c(5, 2)]);
  feed(tracker, 500, [c(0, 1), c(5, 2)]);
  const stall = feed(tracker, 1500, [c(7, 1), c(5, 2)]);
  assert.equal(stall?.connection, '127.0.0.1:2280 ← 127.0.0.1:2', 'port 1: only one sample saw its bytes');
  assert.equal(stall?.stalledForMs, 1500, 'first seen with bytes at 0: counted from then (no earlier sample)');
  tracker.reset();
  assert.equal(feed(tracker, 1600, [c(5, 2)]), undefined);
});
