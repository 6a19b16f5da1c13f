// The reverse WebSocket listener (onebot-reverse) on random upgrade requests and frames from a raw
// socket: it never crashes, reports nothing it was not sent, and a good client (NapCat with the
// token) still connects and is heard after each one. Adapter: ReverseServer
// (src/backend/onebot-reverse/server.ts), a real server on port 0.
import { connect } from 'node:net';
import fc from 'fast-check';
import WebSocket from 'ws';
import { ReverseServer, type ReverseServerHandlers } from '../../../src/backend/onebot-reverse/server.js';
import { check, type FuzzTarget } from '../target.js';
import { systemClock } from '../../../src/clock/clock.js';

const TOKEN = 'fuzz-access-token-5c1e';
const GOOD_SELF_ID = 424242;

let server: ReverseServer | undefined;
let port = 0;
/** What the server reported, by connection id; the good client's ids are recorded too. */
const opened = new Map<number, number | undefined>();
const signals: { id: number; kind: string }[] = [];

const handlers: ReverseServerHandlers = {
  open: (info) => opened.set(info.id, info.selfId),
  signal: (id, signal) => signals.push({ id, kind: signal.kind }),
  garbage: () => {},
  close: () => {},
  refused: () => {},
};

/** One WebSocket frame as a client sends it (masked), with any opcode, flags and length field. */
const wsFrame = fc
  .record({ fin: fc.boolean(), rsv: fc.nat({ max: 7 }), opcode: fc.nat({ max: 15 }), masked: fc.boolean(), payload: fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? ''))), lie: fc.option(fc.constantFrom(126, 127)) })
  .map(({ fin, rsv, opcode, masked, payload, lie }) => {
    const length = Buffer.from(payload);
    const head = [((fin ? 0x80 : 0) | (rsv << 4) | opcode) & 0xff];
    const size = lie ?? (length.length < 126 ? length.length : 126);
    head.push((masked ? 0x80 : 0) | size);
    const extra = size === 126 ? [length.length >> 8, length.length & 0xff] : size === 127 ? [0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff] : [];
    const mask = masked ? [1, 2, 3, 4] : [];
    const body = masked ? Buffer.from(length.map((byte, i) => byte ^ (mask[i % 4] as number))) : length;
    return Buffer.concat([Buffer.from([...head, ...extra, ...mask]), body]);
  });

const header = fc.oneof(
  fc.constantFrom('Upgrade: websocket', 'upgrade: WebSocket', 'Connection: Upgrade', 'Connection: keep-alive, Upgrade', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Version: 8', `Authorization: Bearer ${TOKEN}`, 'Authorization: Bearer ', 'Authorization: Bearer wrong', 'X-Self-ID: 1', 'X-Self-ID: -1e400', 'X-Client-Role: Universal', 'Content-Length: 5', 'Transfer-Encoding: chunked', 'Host: 127.0.0.1'),
  fc.constant('Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=='),
  fc.tuple(fc.string({ maxLength: 12 }), fc.string({ maxLength: 30 })).map(([name, value]) => `${name}: ${value}`),
);

const request = fc
  .record({
    method: fc.constantFrom('GET', 'POST', 'get', 'CONNECT', ''),
    path: fc.oneof(fc.constantFrom('/', '/onebot', `/?access_token=${TOKEN}`, '/?access_token=', '*', '//x', '/%', 'http://x/'), fc.string({ maxLength: 20 })),
    version: fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/2', 'HTTP/9', ''),
    headers: fc.array(header, { maxLength: 10 }),
    eol: fc.constantFrom('\r\n', '\n', '\r'),
    frames: fc.array(wsFrame, { maxLength: 4 }),
    tail: fc.uint8Array({ maxLength: 40 }),
  })
  .map(({ method, path, version, headers, eol, frames, tail }) =>
    Buffer.concat([Buffer.from(`${method} ${path} ${version}${eol}${headers.join(eol)}${eol}${eol}`), ...frames, Buffer.from(tail)]),
  );

/** A handshake NapCat would send, then random frames: what a connected client can do. */
const connected = fc
  .record({ frames: fc.array(wsFrame, { maxLength: 6 }), query: fc.boolean() })
  .map(({ frames, query }) =>
    Buffer.concat([
      Buffer.from(
        [
          `GET /onebot${query ? `?access_token=${TOKEN}` : ''} HTTP/1.1`,
          'Host: 127.0.0.1',
          'Upgrade: websocket',
          'Connection: Upgrade',
          'Sec-WebSocket-Version: 13',
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
          ...(query ? [] : [`Authorization: Bearer ${TOKEN}`]),
          'X-Self-ID: 77',
          '',
          '',
        ].join('\r\n'),
      ),
      ...frames,
    ]),
  );

/** Sends the bytes from a raw socket and lets the server answer a moment. */
function hostile(bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    };
    const timer = setTimeout(done, 30);
    socket.on('error', done);
    socket.on('close', done);
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', () => {});
  });
}

/** NapCat with the token: connects, its lifecycle event is heard, and it leaves. */
async function goodClient(): Promise<void> {
  const before = signals.length;
  const ws = new WebSocket(`ws://127.0.0.1:${port}/onebot`, { headers: { authorization: `Bearer ${TOKEN}`, 'x-self-id': String(GOOD_SELF_ID), 'x-client-role': 'Universal' } });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('a good client did not connect within 5 s')), 5000);
      ws.once('open', () => {
        clearTimeout(timer);
        resolve();
      });
      ws.once('error', (error) => {
        clearTimeout(timer);
        reject(new Error(`a good client was refused: ${error.message}`));
      });
    });
    ws.send(JSON.stringify({ post_type: 'meta_event', meta_event_type: 'lifecycle', sub_type: 'connect', self_id: GOOD_SELF_ID, time: 1 }));
    const deadline = Date.now() + 5000;
    while (!signals.slice(before).some((s) => s.kind === 'lifecycle') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
    check(signals.slice(before).some((s) => s.kind === 'lifecycle'), () => 'the good client\'s lifecycle event was not heard');
  } finally {
    ws.terminate();
  }
}

export const reverseHandshake: FuzzTarget<Buffer> = {
  name: 'reverse-handshake',
  about: 'the reverse WebSocket listener on random upgrade requests and frames: no crash, and a good client with the token still connects and is heard',
  runs: 100,
  async: true,
  setUp: async () => {
    server = new ReverseServer({ address: { host: '127.0.0.1', port: 0 }, accessToken: TOKEN, clock: systemClock, handshakeTimeout: 2000, maxPayload: 64 * 1024 }, handlers);
    port = (await server.listen()).port;
    return async () => {
      await server?.close();
      server = undefined;
    };
  },
  arbitrary: () => fc.oneof(request, connected),
  property: async (bytes) => {
    check(server !== undefined, () => 'setUp was not run');
    const count = signals.length;
    await hostile(bytes);
    // Nothing but a complete handshake with the token opens a connection: signals from the raw
    // socket are possible only after that (then they are what it sent).
    const fromRaw = signals.slice(count);
    check(fromRaw.length === 0 || bytes.includes(TOKEN), () => `signals ${JSON.stringify(fromRaw)} without the token`);
    await goodClient();
  },
};
