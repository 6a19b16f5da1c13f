import { systemClock } from '../../src/clock/clock.js';
// The WebSocket connection's timers on virtual time: the socket is real (a fake OneBot server on
// 127.0.0.1), every deadline, ping and pong wait runs on a FakeClock, so the times are exact.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { openOneBotLink } from '../../src/backend/onebot/onebot-ws.js';
import { MAX_FRAME_BYTES, type LinkLoss, type LinkSignal } from '../../src/backend/ws-connection.js';
import { INVALID_FRAMES } from '../helpers/fake-backend.js';
import { FakeClock, flush } from '../helpers/fake-clock.js';
import { FakeOneBot } from '../helpers/fake-onebot.js';
import { waitFor } from '../helpers/wait.js';

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

test('an absurd announced heartbeat interval (1 ms) counts as 1 s: the link is judged dead after 2 s without one, not 2 ms', async (t) => {
  const fake = await setup(t);
  const clock = new FakeClock();
  const attempt = await openOneBotLink({ url: fake.url }, { clock }, { timeout: 2000 });
  const connection = attempt.connection!;
  t.after(() => connection.close());
  const losses: LinkLoss[] = [];
  connection.on('lost', (loss) => losses.push(loss));
  const beat = waitFor<LinkSignal>(connection, 'signal');
  fake.pushEvent({ post_type: 'meta_event', meta_event_type: 'heartbeat', interval: 1, status: { online: true, good: true } });
  assert.deepEqual(await beat, { kind: 'heartbeat', intervalMs: 1, online: true });
  await clock.advance(1999);
  assert.equal(losses.length, 0, 'alive at 1999 ms');
  await clock.advance(1);
  assert.equal(losses[0]?.cause, 'heartbeat-timeout');
  assert.equal(losses[0]?.reason, 'no heartbeat for 2000ms (the server announced one every 1ms; counted as 1000ms)');
});

test('a frame WE do not take (too big, reserved opcode, not UTF-8): lost at once as our own close (protocol), with the code we closed with', async (t) => {
  const fake = await setup(t);
  const cases: [string, (f: FakeOneBot) => void, number, RegExp][] = [
    ['oversized', (f) => f.sendText('x'.repeat(MAX_FRAME_BYTES + 1)), 1009, /^a frame larger than 1 MiB, more than the watchdog's link takes arrived; the watchdog closed its own link \(1009\)$/],
    ['reserved opcode', (f) => f.writeRaw(INVALID_FRAMES.reservedOpcode), 1002, /^an invalid WebSocket frame \(.*opcode.*\) arrived; the watchdog closed its own link \(1002\)$/i],
    ['not UTF-8', (f) => f.writeRaw(INVALID_FRAMES.notUtf8), 1007, /^a text frame that is not valid UTF-8 arrived; the watchdog closed its own link \(1007\)$/],
  ];
  for (const [name, send, closeCode, reason] of cases) {
    const attempt = await openOneBotLink({ url: fake.url }, { clock: systemClock }, { timeout: 2000 });
    const connection = attempt.connection!;
    t.after(() => connection.close());
    const lost = waitFor<LinkLoss>(connection, 'lost');
    send(fake);
    const loss = await lost;
    assert.equal(loss.cause, 'protocol', name);
    assert.equal(loss.closeCode, closeCode, name);
    assert.match(loss.reason, reason, name);
    assert.equal(connection.isOpen, false);
  }
});
