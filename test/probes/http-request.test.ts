import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { displayUrl, httpRequest, joinUrl, MAX_ANSWER_BYTES } from '../../src/probes/http-request.js';
import { errorReason } from '../../src/probes/net-errors.js';
import { systemClock } from '../../src/clock/clock.js';

async function server(t: TestContext, handler: http.RequestListener): Promise<string> {
  const srv = http.createServer(handler);
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => { srv.closeAllConnections(); srv.close(() => resolve()); }));
  return `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
}

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

test('an answer: status, body, content type; a fresh connection each time (Connection: close)', async (t) => {
  const seen: (string | undefined)[] = [];
  const base = await server(t, (req, res) => {
    seen.push(req.headers.connection);
    res.writeHead(201, { 'content-type': 'application/json' }).end('{"a":1}');
  });
  const answer = await httpRequest(new URL(`${base}/x`), { clock: systemClock });
  assert.deepEqual(answer, { ok: true, status: 201, body: '{"a":1}', contentType: 'application/json' });
  assert.deepEqual(seen, ['close']);
});

test('POST sends a JSON body', async (t) => {
  let body = '';
  const base = await server(t, (req, res) => {
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => res.end('ok'));
  });
  const answer = await httpRequest(new URL(base), { clock: systemClock, method: 'POST', json: { verifyKey: 'k' } });
  assert.equal(answer.ok, true);
  assert.equal(body, '{"verifyKey":"k"}');
});

test('refused, aborted and oversized answers are reasons, never exceptions', async (t) => {
  const refused = await httpRequest(new URL(`http://127.0.0.1:${await closedPort()}/about`), { clock: systemClock });
  assert.deepEqual(refused, { ok: false, reason: 'connection refused' });

  const base = await server(t, (req, res) => {
    if (req.url === '/big') res.end(Buffer.alloc(MAX_ANSWER_BYTES + 10, 'a'));
    // /hang: never answers
  });
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 100);
  const hung = await httpRequest(new URL(`${base}/hang`), { clock: systemClock, signal: controller.signal });
  assert.equal(hung.ok, false);
  assert.match((hung as { reason: string }).reason, /^no answer within \d+ms$/);

  const big = await httpRequest(new URL(`${base}/big`), { clock: systemClock });
  assert.deepEqual(big, { ok: false, reason: 'answer larger than 64 KiB' });

  const pre = new AbortController();
  pre.abort();
  assert.equal((await httpRequest(new URL(base), { clock: systemClock, signal: pre.signal })).ok, false);
});

test('a server that is not HTTP, or closes mid-answer, is a reason', async (t) => {
  const raw = net.createServer((socket) => socket.resume().end('}{ garbage\r\n\r\n'));
  await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => raw.close(() => resolve())));
  const garbage = await httpRequest(new URL(`http://127.0.0.1:${(raw.address() as AddressInfo).port}/`), { clock: systemClock });
  assert.equal(garbage.ok, false);

  const base = await server(t, (_req, res) => {
    res.writeHead(200, { 'content-length': '100' });
    res.write('{"partial":');
    setTimeout(() => res.socket?.destroy(), 20);
  });
  const cut = await httpRequest(new URL(base), { clock: systemClock });
  assert.equal(cut.ok, false);
});

test('joinUrl keeps a path prefix; displayUrl drops the query and credentials', () => {
  assert.equal(joinUrl('http://h:8080', '/about').href, 'http://h:8080/about');
  assert.equal(joinUrl('http://h:8080/', 'about').href, 'http://h:8080/about');
  assert.equal(joinUrl('http://h/mirai/', '/about').href, 'http://h/mirai/about');
  assert.equal(joinUrl('http://h/x?a=1', '/s?k=v').href, 'http://h/x/s?k=v');
  assert.equal(displayUrl('ws://u:p@h:1/event?verifyKey=secret&qq=1'), 'ws://h:1/event');
  assert.equal(displayUrl('http://h:1/'), 'http://h:1');
});

test('errorReason never repeats a URL (it may carry ?verifyKey=)', () => {
  assert.equal(errorReason({ code: 'ECONNREFUSED' }), 'connection refused');
  assert.equal(errorReason(new Error('socket hang up')), 'connection closed without an answer');
  const reason = errorReason(new Error('failed to reach ws://h:1/event?verifyKey=secret'));
  assert.doesNotMatch(reason, /secret/);
});
