import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { HttpProbe } from '../../src/probes/http.js';
import { parseTcpUrl, TcpProbe } from '../../src/probes/tcp.js';
import { systemClock } from '../../src/clock/clock.js';

async function listen(t: TestContext, server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return port;
}

test('http: any 2xx is healthy, anything else unhealthy with the status', async (t) => {
  let status = 204;
  const server = http.createServer((_req, res) => res.writeHead(status).end());
  const port = await listen(t, server);
  const probe = new HttpProbe(`http://127.0.0.1:${port}/health?token=abc`, systemClock);
  const ok = await probe.check();
  assert.equal(ok.verdict, 'healthy');
  assert.equal(ok.reason, 'HTTP 204');
  assert.equal(ok.details?.['url'], `http://127.0.0.1:${port}/health`, 'no query in the details');
  status = 503;
  const bad = await probe.check();
  assert.equal(bad.verdict, 'unhealthy');
  assert.equal(bad.reason, 'HTTP 503');
  server.closeAllConnections();
});

test('tcp: a connect in time is healthy; refused and aborted are unhealthy', async (t) => {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => sockets.add(s.resume()));
  const port = await listen(t, server);
  const ok = await new TcpProbe(`tcp://127.0.0.1:${port}`, systemClock).check();
  assert.equal(ok.verdict, 'healthy');
  assert.equal(ok.reason, `connected to 127.0.0.1:${port}`);
  for (const s of sockets) s.destroy();

  const closed = net.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const closedPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const refused = await new TcpProbe(`tcp://127.0.0.1:${closedPort}`, systemClock).check();
  assert.equal(refused.verdict, 'unhealthy');
  assert.equal(refused.reason, 'connection refused');

  const aborted = new AbortController();
  aborted.abort();
  assert.equal((await new TcpProbe(`tcp://127.0.0.1:${port}`, systemClock).check(aborted.signal)).verdict, 'unhealthy');
});

test('tcp: an impossible port is a result, not an exception', async () => {
  const result = await new TcpProbe('tcp://127.0.0.1:99999', systemClock).check();
  assert.equal(result.verdict, 'unhealthy');
  assert.match(result.reason, /cannot connect to 127\.0\.0\.1:99999/);
});

test('tcp URLs: host:port and [v6]:port', () => {
  assert.deepEqual(parseTcpUrl('tcp://db:5432'), { host: 'db', port: 5432 });
  assert.deepEqual(parseTcpUrl('tcp://[::1]:8080/'), { host: '::1', port: 8080 });
  assert.throws(() => parseTcpUrl('http://x:1'));
});
