import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeHandle } from '../helpers/fake-handle.js';
import { memoryLogger } from '../helpers/log-sink.js';
import { closedByPeer, get, json, openEvents, rawSocket } from '../helpers/status-client.js';
import { StatusEndpoint } from '../../src/status/status-endpoint.js';
import { StatusServer, type StatusLimits, type StatusSource } from '../../src/status/server.js';
import { DASHBOARD } from '../../src/status/dashboard.js';
import { systemClock } from '../../src/clock/clock.js';

const VERIFY_KEY = 'mirai-verify-key-SECRET';
const TOKEN = 'status-token-0123456789abcdef';

async function endpoint(options: { token?: string; limits?: Partial<StatusLimits>; listen?: string | number } = {}) {
  const { logger, events } = memoryLogger();
  // Real sockets, real time: the endpoint's timers (rate limits, event frames) run on the system clock.
  const handle = new FakeHandle(systemClock);
  const statusEndpoint = new StatusEndpoint({
    clock: handle.clock,
    config: {
      status: { listen: options.listen ?? '127.0.0.1:0', ...(options.token ? { token: options.token } : {}) },
      state: { file: '/nonexistent/state.json' },
      configFile: '/srv/bot/watchdog.config.json',
      command: ['python3', 'main.py'],
      backend: { kind: 'mirai', url: 'http://127.0.0.1:8080', verifyKey: VERIFY_KEY },
    },
    logger,
    ...(options.limits ? { limits: options.limits } : {}),
  });
  await statusEndpoint.start(handle);
  const port = statusEndpoint.address()?.port ?? 0;
  return { handle, statusEndpoint, port, events, [Symbol.asyncDispose]: () => statusEndpoint.stop() };
}

test('routes: /healthz, /status, /metrics, the dashboard, HEAD; 404 and 405 as JSON', async (t) => {
  const { handle, statusEndpoint, port } = await endpoint();
  t.after(() => statusEndpoint.stop());
  assert.ok(port > 0);

  let health = await get(port, '/healthz');
  assert.equal(health.status, 503);
  assert.match(health.headers['content-type'] ?? '', /^application\/json/);
  assert.deepEqual(json(health).healthy, false);
  assert.match(String(json(health).reason), /the bot is not running/);

  const child = handle.spawn();
  handle.events.emit('state', 'running');
  health = await get(port, '/healthz');
  assert.equal(health.status, 200, health.body);
  assert.equal(json(health).pid, child.pid);
  handle.health.report({ probe: 'heartbeat', verdict: 'unhealthy', reason: 'file is 95s old', latencyMs: 1});
  health = await get(port, '/healthz');
  assert.equal(health.status, 503);
  assert.equal(json(health).reason, 'heartbeat unhealthy: file is 95s old');

  const status = json(await get(port, '/status'));
  assert.deepEqual(Object.keys(status), ['stateFile', 'running', 'watchdog', 'bot', 'restarts', 'lastRestart', 'lastExit', 'probes', 'updatedAt', 'error']);
  assert.equal((status.bot as { pid: number }).pid, child.pid);
  assert.equal((status.watchdog as { pid: number }).pid, process.pid);
  assert.deepEqual(Object.keys(status.probes as object), ['heartbeat']);

  const metrics = await get(port, '/metrics');
  assert.equal(metrics.status, 200);
  assert.match(metrics.headers['content-type'] ?? '', /^text\/plain; version=0\.0\.4/);
  assert.match(metrics.body, /^bot_watchdog_bot_up 1$/m);
  assert.match(metrics.body, /^bot_watchdog_probe_up\{probe="heartbeat"\} 0$/m);

  const page = await get(port, '/');
  assert.equal(page.status, 200);
  assert.match(page.headers['content-type'] ?? '', /^text\/html/);
  assert.equal(page.headers['content-security-policy'], DASHBOARD.csp);
  assert.match(page.body, /<title>bot-watchdog<\/title>/);
  assert.doesNotMatch(page.body, /<script src|<link rel="stylesheet"|(src|href)\s*=\s*["']?https?:|url\(|@import|fetch\(/, 'self-contained: nothing loaded from elsewhere');

  const head = await get(port, '/status', { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.body, '');
  assert.ok(Number(head.headers['content-length']) > 0);

  const missing = await get(port, '/nope');
  assert.equal(missing.status, 404);
  assert.equal(json(missing).error, 'not found');
  for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
    const reply = await get(port, '/status', { method });
    assert.equal(reply.status, 405, method);
    assert.equal(reply.headers.allow, 'GET, HEAD');
    assert.match(String(json(reply).error), /not allowed/);
  }
});

test('/events: the whole view at once, then again on each change; the timeline shows a restart and its reason', async (t) => {
  const { handle, statusEndpoint, port } = await endpoint({ limits: { updateIntervalMs: 10 } });
  t.after(() => statusEndpoint.stop());
  const first = handle.spawn();
  const stream = await openEvents(port);
  t.after(() => stream.close());
  assert.equal(stream.status, 200);
  const initial = await stream.next((view) => view.status.bot?.pid === first.pid);
  assert.deepEqual(Object.keys(initial).sort(), ['account', 'backend', 'health', 'latency', 'now', 'status', 'timeline']);

  handle.events.emit('stop', first, { reason: 'link-lost', evidence: { detail: 'no connection to 127.0.0.1:8080 for 30s' } });
  handle.exit();
  handle.events.emit('restart', { reason: 'link-lost', attempt: 1, delayMs: 1000 });
  const second = handle.spawn();
  const after = await stream.next((view) => view.status.bot?.pid === second.pid);
  const restart = after.timeline.find((entry: { kind: string }) => entry.kind === 'restart');
  assert.equal(restart.reason, 'link-lost');
  assert.equal(restart.detail, 'no connection to 127.0.0.1:8080 for 30s; attempt 1, in 1s');
  assert.deepEqual(
    after.timeline.map((entry: { kind: string }) => entry.kind),
    ['spawn', 'restart', 'exit', 'stop', 'spawn'],
  );
});

test('secrets never leave: verifyKey in a probe reason or a stop is redacted in /status, /healthz, /events and /metrics', async (t) => {
  const { handle, statusEndpoint, port } = await endpoint({ limits: { updateIntervalMs: 10 } });
  t.after(() => statusEndpoint.stop());
  const child = handle.spawn();
  handle.events.emit('state', 'running');
  const reason = `GET /verify?verifyKey=${VERIFY_KEY}: code 1 (wrong key ${VERIFY_KEY})`;
  handle.health.report({ probe: 'mirai-http', verdict: 'unhealthy', reason, latencyMs: 4});
  handle.events.emit('stop', child, { reason: 'backend-down', evidence: { lastReason: reason } });
  const stream = await openEvents(port);
  t.after(() => stream.close());
  await stream.next((view) => view.timeline.some((entry: { kind: string }) => entry.kind === 'stop'));
  const bodies = [
    (await get(port, '/status')).body,
    (await get(port, '/healthz')).body,
    (await get(port, '/metrics')).body,
    JSON.stringify(stream.frames),
  ];
  for (const body of bodies) assert.doesNotMatch(body, new RegExp(VERIFY_KEY));
  assert.match(bodies[0] as string, /\[redacted\]/);
  assert.match(bodies[3] as string, /\[redacted\]/);
});

test('status.token: Bearer or Basic (token as the password), else 401 on every route; the token is never echoed', async (t) => {
  const { statusEndpoint, port } = await endpoint({ token: TOKEN });
  t.after(() => statusEndpoint.stop());
  for (const path of ['/', '/healthz', '/status', '/metrics', '/events', '/nope']) {
    const reply = await get(port, path);
    assert.equal(reply.status, 401, path);
    assert.match(String(reply.headers['www-authenticate']), /^Basic realm="bot-watchdog"/);
  }
  for (const authorization of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, 'Bearer ', `Basic ${Buffer.from(`user:${TOKEN}x`).toString('base64')}`, TOKEN, `Token ${TOKEN}`]) {
    const reply = await get(port, '/status', { headers: { authorization } });
    assert.equal(reply.status, 401, authorization);
    assert.doesNotMatch(reply.body, new RegExp(TOKEN));
  }
  const bearer = await get(port, '/status', { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(bearer.status, 200);
  assert.doesNotMatch(bearer.body, new RegExp(TOKEN));
  const basic = await get(port, '/metrics', { headers: { authorization: `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}` } });
  assert.equal(basic.status, 200);
  const stream = await openEvents(port, { authorization: `Bearer ${TOKEN}` });
  t.after(() => stream.close());
  assert.equal(stream.status, 200);
  await stream.next(() => true);
});

test('a slow client (headers never finished) is cut off by the headers timeout', async (t) => {
  const { statusEndpoint, port } = await endpoint({ limits: { headersTimeoutMs: 300, requestTimeoutMs: 400, timeoutCheckMs: 100 } });
  t.after(() => statusEndpoint.stop());
  const socket = await rawSocket(port);
  const closed = closedByPeer(socket);
  socket.write('GET /status HTTP/1.1\r\nHost: localhost\r\nX-Slow: ');
  const received = await closed;
  assert.match(received, /^HTTP\/1\.1 408 /);
  assert.equal((await get(port, '/healthz')).status, 503, 'the endpoint still answers');
});

test('garbage instead of HTTP gets 400 and a closed connection', async (t) => {
  const { statusEndpoint, port } = await endpoint();
  t.after(() => statusEndpoint.stop());
  const socket = await rawSocket(port);
  const closed = closedByPeer(socket);
  socket.write('\x00\x01\x02 not http at all\r\n\r\n');
  assert.match(await closed, /^HTTP\/1\.1 400 /);
  const huge = await rawSocket(port);
  const hugeClosed = closedByPeer(huge);
  huge.write(`GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
  assert.match(await hugeClosed, /^HTTP\/1\.1 431 /);
});

test('a flood of connections is capped: over maxConnections the oldest idle ones are closed, the rest still served', async (t) => {
  const { statusEndpoint, port } = await endpoint({ limits: { maxConnections: 4 } });
  t.after(() => statusEndpoint.stop());
  const sockets = await Promise.all(Array.from({ length: 10 }, () => rawSocket(port)));
  const closings = sockets.map((socket) => closedByPeer(socket).then(() => socket));
  // Six are closed by the server; wait for exactly those, then check four are still open and usable.
  const closed = new Set<unknown>();
  await new Promise<void>((resolve) => {
    for (const closing of closings) void closing.then((socket) => {
      closed.add(socket);
      if (closed.size === 6) resolve();
    });
  });
  const open = sockets.filter((socket) => !closed.has(socket));
  assert.equal(open.length, 4);
  const answer = new Promise<string>((resolve) => open[0]?.once('data', (chunk) => resolve(String(chunk))));
  open[0]?.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
  assert.match(await answer, /^HTTP\/1\.1 503 /);
  for (const socket of open) socket.destroy();
  await Promise.all(open.map((socket) => closings[sockets.indexOf(socket)]));
  // Freed slots serve new clients again (the server counts the closes asynchronously: retry until it has).
  let reply;
  for (let i = 0; i < 50 && !(reply = await get(port, '/healthz').catch(() => undefined)); i++);
  assert.equal(reply?.status, 503);
});

test('event streams are capped (503 beyond), and a closed one frees its slot', async (t) => {
  const { statusEndpoint, port } = await endpoint({ limits: { maxEventStreams: 2 } });
  t.after(() => statusEndpoint.stop());
  const a = await openEvents(port);
  const b = await openEvents(port);
  t.after(() => (a.close(), b.close()));
  const refused = await get(port, '/events');
  assert.equal(refused.status, 503);
  assert.match(String(json(refused).error), /too many event streams/);
  b.close();
  // The slot is free once the server has seen the close.
  let third;
  for (let i = 0; i < 100; i++) {
    third = await openEvents(port);
    if (third.status === 200) break;
    third.close();
  }
  assert.equal(third?.status, 200);
  third?.close();
});

test('a stalled event-stream reader is dropped once maxBufferedBytes is queued for it', async (t) => {
  const { logger } = memoryLogger();
  let notify = () => {};
  const source: StatusSource = {
    status: () => ({}),
    health: () => ({ healthy: true }),
    metrics: async () => ({ contentType: 'text/plain', body: '' }),
    view: () => ({ pad: 'x'.repeat(256 * 1024) }),
    subscribe: (listener) => ((notify = listener), () => {}),
  };
  const server = new StatusServer({ clock: systemClock,
    listen: { host: '127.0.0.1', port: 0, loopback: true },
    token: undefined,
    source,
    page: DASHBOARD,
    logger,
    limits: { maxBufferedBytes: 1024 * 1024, updateIntervalMs: 0, maxEventStreams: 1 },
  });
  const listening = await server.listen();
  t.after(() => server.close());
  assert.ok(listening.ok);
  const socket = await rawSocket(listening.port);
  const closed = closedByPeer(socket);
  socket.write('GET /events HTTP/1.1\r\nHost: localhost\r\n\r\n');
  socket.pause(); // never reads: the kernel's buffers fill, then Node's
  let done = false;
  void closed.then(() => (done = true));
  for (let i = 0; i < 400 && !done; i++) {
    notify();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  socket.resume();
  await closed;
  assert.ok(done, 'the server closed the stalled stream');
  const again = await openEvents(listening.port);
  assert.equal(again.status, 200, 'its slot is free again');
  again.close();
});

test('a port in use is logged (status.failed) and the plug-in goes on without the endpoint', async (t) => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.after(() => blocker.close());
  const port = (blocker.address() as AddressInfo).port;
  const { handle, statusEndpoint, events } = await endpoint({ listen: `127.0.0.1:${port}` });
  t.after(() => statusEndpoint.stop());
  const [failed] = events('status.failed');
  assert.equal(failed?.code, 'EADDRINUSE');
  assert.equal(failed?.level, 'error');
  assert.match(String(failed?.msg), /port is in use; supervision goes on without it/);
  assert.equal(statusEndpoint.address(), undefined);
  handle.spawn();
  handle.events.emit('restart', { reason: 'exited', attempt: 1, delayMs: 0 });
  assert.match(await statusEndpoint.metrics.render(), /bot_watchdog_restarts_total\{reason="exited"\} 1/);
});

test('an error while answering is a 500 and a status.error line, never a crash', async (t) => {
  const { logger, events } = memoryLogger();
  const source: StatusSource = {
    status: () => {
      throw new Error('boom');
    },
    health: () => ({ healthy: true }),
    metrics: async () => Promise.reject(new Error('scrape failed')),
    view: () => ({}),
    subscribe: () => () => {},
  };
  const server = new StatusServer({ clock: systemClock, listen: { host: '127.0.0.1', port: 0, loopback: true }, token: undefined, source, page: DASHBOARD, logger });
  const listening = await server.listen();
  t.after(() => server.close());
  assert.ok(listening.ok);
  const broken = await get(listening.port, '/status');
  assert.equal(broken.status, 500);
  assert.deepEqual(json(broken), { error: 'internal error' });
  assert.equal((await get(listening.port, '/metrics')).status, 500);
  assert.equal((await get(listening.port, '/healthz')).status, 200);
  assert.deepEqual(events('status.error').map((r) => r.error), ['boom', 'scrape failed']);
});

test('requests over the rate are answered 429; requests without the token cannot use up the budget of those with it', async (t) => {
  const { statusEndpoint, port } = await endpoint({ token: TOKEN, limits: { requestsPerSecond: 0.001, burst: 3 } });
  t.after(() => statusEndpoint.stop());
  const statuses = [];
  for (let i = 0; i < 5; i++) statuses.push((await get(port, '/healthz')).status);
  assert.deepEqual(statuses, [401, 401, 401, 429, 429]);
  const authorized = [];
  for (let i = 0; i < 4; i++) authorized.push((await get(port, '/status', { headers: { authorization: `Bearer ${TOKEN}` } })).status);
  assert.deepEqual(authorized, [200, 200, 200, 429]);
  const limited = await get(port, '/status', { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(limited.headers['retry-after'], '1');
});

test('the rate limit refills on the injected clock, not on performance.now()', async (t) => {
  const { logger } = memoryLogger();
  const clock = new FakeClock();
  const source: StatusSource = {
    status: () => ({}),
    health: () => ({ healthy: true }),
    metrics: async () => ({ contentType: 'text/plain', body: '' }),
    view: () => ({}),
    subscribe: () => () => {},
  };
  const server = new StatusServer({ clock, listen: { host: '127.0.0.1', port: 0, loopback: true }, token: undefined, source, page: DASHBOARD, logger, limits: { requestsPerSecond: 1, burst: 2 } });
  const listening = await server.listen();
  t.after(() => server.close());
  assert.ok(listening.ok);
  const statuses = async (n: number) => {
    const out = [];
    for (let i = 0; i < n; i++) out.push((await get(listening.port, '/healthz')).status);
    return out;
  };
  assert.deepEqual(await statuses(3), [200, 200, 429]);
  assert.deepEqual(await statuses(1), [429], 'real time passing refills nothing');
  clock.advanceSync(1000);
  assert.deepEqual(await statuses(2), [200, 429], 'one second of the clock: one more request');
});
