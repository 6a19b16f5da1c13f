import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LinkKeeper } from '../../src/backend/link-keeper.js';
import { flush } from '../helpers/fake-clock.js';
import { ScriptedLink } from './backend-harness.js';

function keeper(link: ScriptedLink) {
  const k = new LinkKeeper({ probe: 'mirai-ws', open: link.open, handshakeTimeout: 500, reconnect: { initialDelay: 100, maxDelay: 800 }, misconfiguredRetry: 30_000 });
  const events: string[] = [];
  for (const name of ['up', 'lost', 'blip', 'down', 'failed', 'misconfigured'] as const) k.on(name, () => events.push(name));
  return { k, events };
}

test('a close is confirmed by one immediate reconnect: failing = down, then backoff 100, 200, 400, 800, 800', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const link = new ScriptedLink();
  const { k, events } = keeper(link);
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
    t.mock.timers.tick(expected - 1);
    await flush();
    assert.equal(link.attempts.length, before, `not before ${expected}ms`);
    t.mock.timers.tick(1);
    await flush();
    assert.equal(link.attempts.length, before + 1, `after ${expected}ms`);
  }
  link.mode = 'up';
  t.mock.timers.tick(800);
  await flush();
  assert.equal(k.state, 'up');
  assert.equal(events.at(-1), 'up');
  k.stop();
});

test('a close whose immediate reconnect succeeds is a blip, not down', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const link = new ScriptedLink();
  const { k, events } = keeper(link);
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

test('no pong or no heartbeat is down at once, without a confirming attempt', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const link = new ScriptedLink();
  const { k, events } = keeper(link);
  k.start();
  await flush();
  link.last.lose('pong-timeout');
  await flush();
  assert.deepEqual(events, ['up', 'lost', 'down']);
  assert.equal(link.attempts.length, 1);
  t.mock.timers.tick(100);
  await flush();
  assert.equal(link.attempts.length, 2);
  assert.equal(k.state, 'up');
  k.stop();
});

test('misconfigured is retried slowly; a drop whose reconnect is refused by our config still counts as a blip', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const link = new ScriptedLink();
  link.mode = 'misconfigured';
  const { k, events } = keeper(link);
  k.start();
  await flush();
  assert.equal(k.state, 'misconfigured');
  t.mock.timers.tick(29_999);
  await flush();
  assert.equal(link.attempts.length, 1);
  link.mode = 'up';
  t.mock.timers.tick(1);
  await flush();
  assert.equal(k.state, 'up');
  link.mode = 'misconfigured';
  link.last.lose('closed', 1000);
  await flush();
  assert.deepEqual(events, ['misconfigured', 'up', 'lost', 'blip', 'misconfigured']);
  k.stop();
});

test('stop while an attempt is in flight closes what it opens; nothing is scheduled after stop', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const link = new ScriptedLink();
  link.mode = 'down';
  const { k } = keeper(link);
  k.start();
  k.stop();
  await flush();
  t.mock.timers.tick(10_000);
  await flush();
  assert.equal(link.attempts.length, 1);
  assert.equal(k.state, 'stopped');
});
