// The WebSocket connection's timers on virtual time: the socket is real (a fake OneBot server on
// 127.0.0.1), every deadline, ping and pong wait runs on a FakeClock, so the times are exact.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { openOneBotLink } from '../../src/backend/onebot/onebot-ws.js';
import type { LinkLoss } from '../../src/backend/ws-connection.js';
import { FakeClock, flush } from '../helpers/fake-clock.js';
import { FakeOneBot } from '../helpers/fake-onebot.js';

async function setup(t: TestContext) {
  // Heartbeats every minute of real time: none arrives during these tests.
  const fake = await FakeOneBot.start({ heartbeatInterval: 60_000 });
  t.after(() => fake.stop());
  return fake;
}

test('no pong: the link is lost exactly pingInterval + pongTimeout of virtual time after the server froze', async (t) => {
  const fake = await setup(t);
  const clock = new FakeClock();
  const attempt = await openOneBotLink({ url: fake.url }, { pingInterval: 1000, pongTimeout: 3000, clock }, { timeout: 2000 });
  assert.equal(attempt.result.verdict, 'healthy', attempt.result.reason);
  const connection = attempt.connection!;
  t.after(() => connection.close());
  const losses: LinkLoss[] = [];
  connection.on('lost', (loss) => losses.push(loss));
  await fake.fault('freeze');
  await clock.advance(1000 + 2999);
  assert.deepEqual(losses, []);
  await clock.advance(1);
  assert.deepEqual(losses, [{ cause: 'pong-timeout', reason: 'no pong within 3000ms', at: 4000 }]);
  assert.equal(clock.pending(), 0, 'no ping nor pong timer left once lost');
});

test('no handshake: the attempt fails at its deadline on the injected clock, with the virtual latency', async (t) => {
  const fake = await setup(t);
  await fake.fault('freeze');
  const clock = new FakeClock();
  const opening = openOneBotLink({ url: fake.url }, { clock }, { timeout: 2000 });
  while (clock.pending() === 0) await flush(); // the deadline is armed once ws is loaded
  await clock.advance(1999);
  assert.equal(clock.pending(), 1, 'still waiting for the handshake');
  await clock.advance(1);
  const attempt = await opening;
  assert.equal(attempt.connection, undefined);
  assert.equal(attempt.result.verdict, 'unhealthy');
  assert.match(attempt.result.reason, /^no WebSocket handshake within 2000ms$/);
  assert.equal(attempt.result.latencyMs, 2000);
});
