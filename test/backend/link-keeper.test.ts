import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LinkKeeper } from '../../src/backend/link-keeper.js';
import { FakeClock, flush } from '../helpers/fake-clock.js';
import { ScriptedLink } from './backend-harness.js';

function keeper(link: ScriptedLink, clock: FakeClock) {
  const k = new LinkKeeper({ probe: 'mirai-ws', open: link.open, handshakeTimeout: 500, reconnect: { initialDelay: 100, maxDelay: 800 }, misconfiguredRetry: 30_000, clock });
  const events: string[] = [];
  for (const name of ['up', 'lost', 'blip', 'down', 'failed', 'misconfigured'] as const) k.on(name, () => events.push(name));
  k.on('reset', (_loss, delayMs) => events.push(`reset ${delayMs}`));
  return { k, events };
}

test('a close is confirmed by one immediate reconnect: failing = down, then backoff 100, 200, 400, 800, 800', async () => {
  const clock = new FakeClock();
  const link = new ScriptedLink(clock);
  const { k, events } = keeper(link, clock);
  k.start();
  await flush();
  assert.equal(k.state, 'up');
  link.mode = 'down';
  link.last.lose('closed', 1006);
  await flush();
  assert.deepEqual(events, ['up', 'lost', 'down', 'failed']);
  assert.equal(link.attempts.length, 2, 'the confirming attempt ran at once, with no delay');
  assert.equal(k.state, 'down');
  for (const expected of [100, 200, 400, 800, 800]) {
    const before: number = link.attempts.length;
    await clock.advance(expected - 1);
    assert.equal(link.attempts.length, before, `not before ${expected}ms`);
    await clock.advance(1);
    assert.equal(link.attempts.length, before + 1, `after ${expected}ms`);
  }
  link.mode = 'up';
  await clock.advance(800);
  assert.equal(k.state, 'up');
  assert.equal(events.at(-1), 'up');
  k.stop();
});

test('a close whose immediate reconnect succeeds is a blip, not down', async () => {
  const clock = new FakeClock();
  const link = new ScriptedLink(clock);
  const { k, events } = keeper(link, clock);
  k.start();
  await flush();
  link.last.lose('closed', 1006);
  assert.equal(k.state, 'confirming');
  await flush();
  assert.deepEqual(events, ['up', 'lost', 'blip', 'up']);
  assert.equal(k.state, 'up');
  k.stop();
  assert.equal(link.last.closed, true, 'stop closes the link');
});

test('no pong or no heartbeat is down at once, without a confirming attempt', async () => {
  const clock = new FakeClock();
  const link = new ScriptedLink(clock);
  const { k, events } = keeper(link, clock);
  k.start();
  await flush();
  link.last.lose('pong-timeout');
  await flush();
  assert.deepEqual(events, ['up', 'lost', 'down']);
  assert.equal(link.attempts.length, 1);
  await clock.advance(100);
  assert.equal(link.attempts.length, 2);
  assert.equal(k.state, 'up');
  k.stop();
});

test('misconfigured is retried slowly; a drop whose reconnect is refused by our config still counts as a blip', async () => {
  const clock = new FakeClock();
  const link = new ScriptedLink(clock);
  link.mode = 'misconfigured';
  const { k, events } = keeper(link, clock);
  k.start();
  await flush();
  assert.equal(k.state, 'misconfigured');
  await clock.advance(29_999);
  assert.equal(link.attempts.length, 1);
  link.mode = 'up';
  await clock.advance(1);
  assert.equal(k.state, 'up');
  link.mode = 'misconfigured';
  link.last.lose('closed', 1000);
  await flush();
  assert.deepEqual(events, ['misconfigured', 'up', 'lost', 'blip', 'misconfigured']);
  k.stop();
});

test('stop while an attempt is in flight closes what it opens; nothing is scheduled after stop', async () => {
  const clock = new FakeClock();
  const link = new ScriptedLink(clock);
  link.mode = 'down';
  const { k } = keeper(link, clock);
  k.start();
  k.stop();
  await flush();
  assert.equal(clock.pending(), 0, 'no handshake deadline nor retry left');
  await clock.advance(10_000);
  assert.equal(link.attempts.length, 1);
  assert.equal(k.state, 'stopped');
});

test('an attempt that hangs is aborted after handshakeTimeout, on the injected clock, and retried with backoff', async () => {
  const clock = new FakeClock();
  const aborted: number[] = [];
  const hanging = (options: { signal: AbortSignal }) =>
    new Promise<never>((_, reject) => options.signal.addEventListener('abort', () => (aborted.push(clock.now()), reject(new Error('handshake aborted')))));
  const k = new LinkKeeper({ probe: 'onebot-ws', open: hanging, handshakeTimeout: 500, reconnect: { initialDelay: 100, maxDelay: 800 }, misconfiguredRetry: 30_000, clock });
  const failed: string[] = [];
  k.on('failed', (result, delay) => failed.push(`${result.verdict} ${result.reason} ${delay}`));
  k.start();
  await clock.advance(499);
  assert.deepEqual(aborted, []);
  await clock.advance(1);
  assert.deepEqual(aborted, [500]);
  assert.deepEqual(failed, ['unhealthy probe error: handshake aborted 100']);
  await clock.advance(600); // retry at 600, aborted at 1100
  assert.deepEqual(aborted, [500, 1100]);
  k.stop();
});

test('a link WE closed (a frame it does not take) is renewed quietly: no lost, no blip; at once, then 100, 200… while it keeps happening', async () => {
  const clock = new FakeClock();
  const link = new ScriptedLink(clock);
  const { k, events } = keeper(link, clock);
  k.start();
  await flush();
  link.last.lose('protocol', 1009);
  assert.equal(k.state, 'renewing');
  await flush();
  assert.deepEqual(events, ['up', 'reset 0', 'up']);
  assert.equal(link.attempts.length, 2, 'renewed at once');
  assert.equal(k.state, 'up');

  // Again at once after the renewal: the backend sends such a frame on every link. Delays grow.
  for (const expected of [100, 200, 400, 800, 800]) {
    link.last.lose('protocol', 1002);
    await flush();
    assert.equal(events.at(-1), `reset ${expected}`);
    const before: number = link.attempts.length;
    await clock.advance(expected - 1);
    assert.equal(link.attempts.length, before, `not before ${expected}ms`);
    await clock.advance(1);
    assert.equal(link.attempts.length, before + 1, `after ${expected}ms`);
    assert.equal(k.state, 'up');
  }
  // A link that lived a minute starts the delays over.
  await clock.advance(60_000);
  link.last.lose('protocol', 1009);
  await flush();
  assert.equal(events.at(-2), 'reset 0');
  assert.ok(!events.includes('lost') && !events.includes('blip') && !events.includes('down'));
  k.stop();
});

test('a renewal that fails: the backend is away after all, down (an outage), then the usual backoff', async () => {
  const clock = new FakeClock();
  const link = new ScriptedLink(clock);
  const { k, events } = keeper(link, clock);
  k.start();
  await flush();
  link.mode = 'down';
  link.last.lose('protocol', 1009);
  await flush();
  assert.deepEqual(events, ['up', 'reset 0', 'down', 'failed']);
  assert.equal(k.state, 'down');
  k.stop();
});
