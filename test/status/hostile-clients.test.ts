// Issue 17.2 and 17.4: the status endpoint under slowloris (connections that send one header line a
// second and never finish), and DNS rebinding (a foreign Host on a loopback endpoint without a token).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusServer, type StatusLimits, type StatusSource } from '../../src/status/server.js';
import { memoryLogger } from '../helpers/log-sink.js';
import { get, json } from '../helpers/status-client.js';
import { SocketFlood } from '../helpers/socket-flood.js';
import { waitUntil } from '../helpers/wait.js';
import { systemClock } from '../../src/clock/clock.js';

const TOKEN = 'status-token-0123456789abcdef';

const source: StatusSource = {
  status: () => ({ command: ['python3', 'main.py'], configFile: '/srv/bot/watchdog.config.json' }),
  health: () => ({ healthy: true }),
  metrics: async () => ({ contentType: 'text/plain', body: 'x 1\n' }),
  view: () => ({}),
  subscribe: () => () => {},
};

async function serve(options: { token?: string; limits?: Partial<StatusLimits>; host?: string } = {}) {
  const { logger, events } = memoryLogger();
  const server = new StatusServer({ clock: systemClock,
    listen: { host: options.host ?? '127.0.0.1', port: 0, loopback: true },
    token: options.token,
    source,
    page: { html: '<p>', csp: "default-src 'none'" },
    logger,
    ...(options.limits ? { limits: options.limits } : {}),
  });
  const listening = await server.listen();
  assert.ok(listening.ok);
  return { server, port: listening.port, events };
}

test('slowloris: 40 connections sending a header line a second hold no slot: 23 /healthz in a row are all answered, each within 5 s', async (t) => {
  const { server, port, events } = await serve();
  t.after(() => server.close());
  const flood = new SocketFlood({ port, count: 40, drip: { first: 'GET /healthz HTTP/1.1\r\nHost: localhost\r\n', everyMs: 1000 } });
  t.after(() => flood.stop());
  await flood.start();
  await waitUntil(() => flood.cut >= 32, 10_000); // over the per-source bound: the oldest are closed
  const slowest = { ms: 0 };
  for (let i = 0; i < 23; i++) {
    const started = performance.now();
    const reply = await get(port, '/healthz');
    slowest.ms = Math.max(slowest.ms, performance.now() - started);
    assert.equal(reply.status, 200);
    assert.deepEqual(json(reply), { healthy: true });
  }
  assert.ok(slowest.ms < 5000, `slowest /healthz: ${Math.round(slowest.ms)}ms`);
  const refused = events('status.refused');
  assert.equal(refused.length, 1, 'one line per source a minute');
  assert.equal(refused[0]?.remote, '127.0.0.1');
});

test('slowloris from 20 addresses (2 each): a new client still gets in, the oldest idle connection makes room', async (t) => {
  const { server, port } = await serve({ limits: { maxConnections: 16 } });
  t.after(() => server.close());
  const flood = new SocketFlood({ port, count: 40, sources: 20, drip: { first: 'GET /status HTTP/1.1\r\nHost: localhost\r\n', everyMs: 1000 } });
  t.after(() => flood.stop());
  await flood.start();
  await waitUntil(() => flood.cut >= 24, 10_000);
  for (let i = 0; i < 10; i++) assert.equal((await get(port, '/healthz')).status, 200);
});

test('a connection that never completes a request is closed at requestTimeout even when nothing else needs its slot', async (t) => {
  const { server, port } = await serve({ limits: { headersTimeoutMs: 500, requestTimeoutMs: 500, timeoutCheckMs: 60_000 } });
  t.after(() => server.close());
  const flood = new SocketFlood({ port, count: 1 });
  t.after(() => flood.stop());
  await flood.start();
  await waitUntil(() => flood.cut >= 1, 5000);
});

test('no token: a Host that is not loopback gets 421 and no data (DNS rebinding); loopback names and the listen address are served', async (t) => {
  const { server, port, events } = await serve();
  t.after(() => server.close());
  for (const host of ['rebind.attacker.example', `rebind.attacker.example:${port}`, '127.0.0.1.nip.io', 'localhost.attacker.example', '[::2]', 'bad host']) {
    for (const path of ['/status', '/healthz', '/metrics', '/', '/events']) {
      const reply = await get(port, path, { headers: { host } });
      assert.equal(reply.status, 421, `${host} ${path}`);
      assert.doesNotMatch(reply.body, /main\.py|watchdog\.config|healthy/);
    }
  }
  assert.equal(events('status.refused').length, 1, 'logged once per source a minute');
  for (const host of ['localhost', `localhost:${port}`, `127.0.0.1:${port}`, '127.0.0.1', '127.1.2.3:80', '[::1]', `[::1]:${port}`, 'LOCALHOST']) {
    const reply = await get(port, '/status', { headers: { host } });
    assert.equal(reply.status, 200, host);
    assert.match(reply.body, /main\.py/);
  }
});

test('no token, listening on a configured name: that name (with its port) is served too', async (t) => {
  const { server, port } = await serve({ host: 'localhost' });
  t.after(() => server.close());
  assert.equal((await get(port, '/status', { headers: { host: `localhost:${port}` } })).status, 200);
  assert.equal((await get(port, '/status', { headers: { host: 'evil.example' } })).status, 421);
});

test('with a token any Host is served to whoever has the token (proxies, Kubernetes)', async (t) => {
  const { server, port } = await serve({ token: TOKEN });
  t.after(() => server.close());
  const authorization = `Bearer ${TOKEN}`;
  assert.equal((await get(port, '/status', { headers: { host: 'bot.example.org', authorization } })).status, 200);
  assert.equal((await get(port, '/status', { headers: { host: 'bot.example.org' } })).status, 401);
});
