import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { waitUntil } from '../../helpers/wait.js';
import { canonicalIp } from '../../../src/net/ip.js';
import { decodeHexAddress, parseProcNetTcp, TCP_ESTABLISHED, TCP_LISTEN } from '../../../src/probes/link/proc-net-tcp.js';

test('canonicalIp: one spelling per address; IPv4-mapped IPv6 is its IPv4', () => {
  const cases: [string, string | undefined][] = [
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['::FFFF:7f00:1', '127.0.0.1'],
    ['0:0:0:0:0:ffff:7f00:0001', '127.0.0.1'],
    ['[::1]', '::1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['::', '::'],
    ['fe80::1%eth0', 'fe80::1'],
    ['2001:DB8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['::1.2.3.4', '::102:304'],
    ['64:ff9b::1.2.3.4', '64:ff9b::102:304'],
    ['localhost', undefined],
    ['1.2.3', undefined],
  ];
  for (const [input, expected] of cases) assert.equal(canonicalIp(input), expected, input);
});

test('hex addresses are 32-bit words in host byte order (little- and big-endian hosts)', () => {
  assert.equal(decodeHexAddress('0100007F', true), '127.0.0.1');
  assert.equal(decodeHexAddress('7F000001', false), '127.0.0.1');
  assert.equal(decodeHexAddress('0102A8C0', true), '192.168.2.1');
  // ::1 — the last word is 00000001 in network order, 01000000 dumped little-endian.
  assert.equal(decodeHexAddress('00000000000000000000000001000000', true), '::1');
  assert.equal(decodeHexAddress('00000000000000000000000000000001', false), '::1');
  // ::ffff:127.0.0.1 (a dual-stack socket talking IPv4) comes out as the IPv4 address.
  assert.equal(decodeHexAddress('0000000000000000FFFF00000100007F', true), '127.0.0.1');
  assert.equal(decodeHexAddress('00000000000000000000FFFF7F000001', false), '127.0.0.1');
  // 2001:db8::1 — words 20010db8 00000000 00000000 00000001.
  assert.equal(decodeHexAddress('B80D0120000000000000000001000000', true), '2001:db8::1');
  assert.equal(decodeHexAddress('0100007', true), undefined);
  assert.equal(decodeHexAddress('zz00007F', true), undefined);
});

const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1001 1 0000000000000000 100 0 0 10 0
   1: 0100007F:C350 0100007F:1F90 01 0000001A:00000F00 00:00000000 00000000  1000        0 1002 1 0000000000000000 20 4 30 10 -1
   2: 0100007F:C351 0100007F:1F90 08 00000000:00000000 00:00000000 00000000  1000        0 1003 1 0000000000000000 20 4 30 10 -1
   3: garbage line
   4: 0100007F:C352 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 1004 1 0000000000000000 20 4 30 10 -1
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0000000000000000FFFF00000100007F:D431 0000000000000000FFFF00000100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 2001 1 0000000000000000 20 4 0 10 -1
   1: 00000000000000000000000001000000:D432 00000000000000000000000001000000:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 2002 1 0000000000000000 20 4 0 10 -1
`;

test('parses /proc/net/tcp lines; filters by state and inode before decoding; skips malformed lines', () => {
  const all = parseProcNetTcp(TCP, { littleEndian: true });
  assert.deepEqual(all.map((s) => [s.inode, s.state]), [[1001, TCP_LISTEN], [1002, TCP_ESTABLISHED], [1003, 0x08], [1004, TCP_ESTABLISHED]]);
  assert.deepEqual(all[1], {
    localAddress: '127.0.0.1',
    localPort: 50000,
    remoteAddress: '127.0.0.1',
    remotePort: 8080,
    state: 1,
    inode: 1002,
    txQueue: 0x1a,
    rxQueue: 0xf00,
  });
  const est = parseProcNetTcp(TCP, { littleEndian: true, state: TCP_ESTABLISHED, inodes: new Set([1002, 1003]) });
  assert.deepEqual(est.map((s) => s.inode), [1002], 'CLOSE_WAIT (08) is not a live link');
  const six = parseProcNetTcp(TCP6, { littleEndian: true, state: TCP_ESTABLISHED });
  assert.deepEqual(six.map((s) => [s.remoteAddress, s.remotePort, s.localPort]), [['127.0.0.1', 8080, 54321], ['::1', 8080, 54322]]);
  assert.deepEqual(parseProcNetTcp(''), []);
});

test('this machine: a real loopback connection shows up ESTABLISHED on both ends', async (t) => {
  const server = net.createServer((socket) => socket.on('error', () => {}));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const client = net.connect({ host: '127.0.0.1', port });
  t.after(() => {
    client.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  await new Promise((resolve) => client.once('connect', resolve));
  const text = readFileSync('/proc/self/net/tcp', 'latin1');
  const sockets = parseProcNetTcp(text, { state: TCP_ESTABLISHED });
  assert.ok(sockets.some((s) => s.remotePort === port && s.localPort === client.localPort && s.remoteAddress === '127.0.0.1'));
  assert.ok(parseProcNetTcp(text, { state: TCP_LISTEN }).some((s) => s.localPort === port));
});

test('this machine: bytes nobody reads wait in the receiver\'s rx_queue; reading them empties it', async (t) => {
  let accepted: net.Socket | undefined;
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.pause(); // a reader that stopped
    accepted = socket;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const client = net.connect({ host: '127.0.0.1', port });
  t.after(() => {
    client.destroy();
    accepted?.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  await new Promise((resolve) => client.once('connect', resolve));
  const serverSide = () =>
    parseProcNetTcp(readFileSync('/proc/self/net/tcp', 'latin1'), { state: TCP_ESTABLISHED }).find(
      (s) => s.localPort === port && s.remotePort === client.localPort,
    );
  await new Promise<void>((resolve) => client.write(Buffer.alloc(3000, 1), () => resolve()));
  await waitUntil(() => serverSide()?.rxQueue === 3000, 5000, 10);
  const socket = await waitUntil(() => accepted);
  let read = 0;
  socket.on('data', (chunk: Buffer) => (read += chunk.length));
  socket.resume();
  await waitUntil(() => read === 3000 && serverSide()?.rxQueue === 0, 5000, 10);
});
