// Issue 16.5: the reverse listener stays open to NapCat under a flood of connections that never
// finish a handshake. Real sockets; the flood is held open (a cut socket is opened again at once).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { ReverseServer, type ReverseServerHandlers, type ReverseServerOptions } from '../../../src/backend/onebot-reverse/server.js';
import { FakeNapCat } from '../../helpers/fake-napcat.js';
import { SocketFlood } from '../../helpers/socket-flood.js';
import { waitUntil } from '../../helpers/wait.js';
import { systemClock } from '../../../src/clock/clock.js';

const TOKEN = 'flood-secret';

async function serve(t: TestContext, options: Partial<ReverseServerOptions> = {}) {
  const refused: { status: number; reason: string; remote: string }[] = [];
  let opened = 0;
  const handlers: ReverseServerHandlers = {
    open: () => void opened++,
    signal: () => {},
    garbage: () => {},
    close: () => {},
    refused: (status, reason, remote) => void refused.push({ status, reason, remote }),
  };
  const server = new ReverseServer({ address: { host: '127.0.0.1', port: 0 }, accessToken: TOKEN, clock: systemClock, ...options }, handlers);
  const { port } = await server.listen();
  t.after(() => server.close());
  return { server, port, refused, opened: () => opened };
}

function napcat(t: TestContext, port: number): FakeNapCat {
  const fake = FakeNapCat.start({ url: `ws://127.0.0.1:${port}/`, selfId: 42, accessToken: TOKEN, heartbeatInterval: 0, reconnectInterval: 100 });
  t.after(() => fake.stop());
  return fake;
}

async function linksWithin(t: TestContext, port: number, ms: number): Promise<number> {
  const started = performance.now();
  const fake = napcat(t, port);
  await Promise.race([
    fake.waitForOpen(true),
    new Promise((_, reject) => setTimeout(() => reject(new Error(`NapCat did not link within ${ms}ms`)), ms).unref()),
  ]);
  return performance.now() - started;
}

test('200 silent connections from one address held open: NapCat (right token) links within 5 s; one backend.refused line with a count', async (t) => {
  const s = await serve(t);
  const flood = new SocketFlood({ port: s.port, count: 200 });
  t.after(() => flood.stop());
  await flood.start();
  await waitUntil(() => flood.cut >= 150, 10_000); // the per-source bound cut most of them
  const took = await linksWithin(t, s.port, 5000);
  assert.equal(s.opened(), 1);
  assert.ok(took < 5000, `linked in ${Math.round(took)}ms`);
  const cuts = s.refused.filter((r) => r.status === 503);
  assert.equal(cuts.length, 1, 'one report per source a minute');
  assert.equal(cuts[0]?.remote, '127.0.0.1');
  assert.match(cuts[0]?.reason ?? '', /without a finished handshake/);
});

test('200 silent connections from 50 addresses: the oldest pending socket makes room; NapCat links within 5 s', async (t) => {
  const s = await serve(t, { maxPending: 32 });
  const flood = new SocketFlood({ port: s.port, count: 200, sources: 50 });
  t.after(() => flood.stop());
  await flood.start();
  await waitUntil(() => flood.cut >= 150, 10_000);
  await linksWithin(t, s.port, 5000);
  assert.ok(flood.openNow() <= 200);
  const sources = new Set(s.refused.map((r) => r.remote));
  assert.ok(sources.size <= 50 && sources.size > 1, `reports name the sources (${sources.size})`);
});

test('slow handshakes (one header line a second) are cut at the deadline; NapCat links meanwhile', async (t) => {
  const s = await serve(t, { handshakeTimeout: 1000 });
  const flood = new SocketFlood({ port: s.port, count: 40, sources: 10, drip: { first: 'GET / HTTP/1.1\r\nHost: x\r\n', everyMs: 300 } });
  t.after(() => flood.stop());
  await flood.start();
  await linksWithin(t, s.port, 5000);
  // Every slow socket is cut within about the deadline (plus Node's check interval).
  const cutBefore = flood.cut;
  await waitUntil(() => flood.cut >= cutBefore + 40, 10_000);
});

test('a socket that never sends a byte is cut after the handshake deadline', async (t) => {
  const s = await serve(t, { handshakeTimeout: 300 });
  const socket = connect({ host: '127.0.0.1', port: s.port });
  socket.on('error', () => {});
  const started = performance.now();
  await new Promise((resolve) => socket.once('close', resolve));
  const took = performance.now() - started;
  assert.ok(took >= 250 && took < 3000, `cut after ${Math.round(took)}ms`);
  await waitUntil(() => s.refused.some((r) => /no WebSocket handshake within 300ms/.test(r.reason)), 2000);
});
