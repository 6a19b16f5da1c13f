import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBotListen, parseBotListen, type BotListenSpec } from '../../../src/net/listen-address.js';
import { bindingsOverlap, isListenedConnection, isServingListener, listenPorts } from '../../../src/probes/link/listen.js';

const spec = (value: string | number): BotListenSpec => {
  const parsed = parseBotListen(value);
  assert.ok(typeof parsed !== 'string', `${value}: ${String(parsed)}`);
  return parsed;
};

test('parseBotListen: a port, ":port", "host:port", "[v6]:port"; anything else is a one-line error', () => {
  assert.deepEqual(parseBotListen(2280), { host: undefined, port: 2280 });
  assert.deepEqual(parseBotListen('2280'), { host: undefined, port: 2280 });
  assert.deepEqual(parseBotListen(':2280'), { host: undefined, port: 2280 });
  assert.deepEqual(parseBotListen('*:2280'), { host: undefined, port: 2280 });
  assert.deepEqual(parseBotListen('0.0.0.0:2280'), { host: undefined, port: 2280 }, 'all addresses');
  assert.deepEqual(parseBotListen('[::]:2280'), { host: undefined, port: 2280 });
  assert.deepEqual(parseBotListen('127.0.0.1:2280'), { host: '127.0.0.1', port: 2280 });
  assert.deepEqual(parseBotListen('[::1]:5140'), { host: '::1', port: 5140 });
  assert.deepEqual(parseBotListen('[::ffff:127.0.0.1]:5140'), { host: '127.0.0.1', port: 5140 });
  assert.deepEqual(parseBotListen('localhost:8080'), { host: 'loopback', port: 8080 });
  for (const bad of [0, 65536, 1.5, -1, '', '0', '65536', 'x:1', '127.0.0.1', '127.0.0.1:', '::1:8080', '1.2.3:80', '127.0.0.1:80/ws']) {
    const parsed = parseBotListen(bad);
    assert.equal(typeof parsed, 'string', `${JSON.stringify(bad)} must be refused`);
    assert.match(parsed as string, /^expected a port \(1-65535\) or "host:port"/);
  }
  assert.equal(formatBotListen(spec(2280)), ':2280');
  assert.equal(formatBotListen(spec('127.0.0.1:2280')), '127.0.0.1:2280');
  assert.equal(formatBotListen(spec('[::1]:2280')), '[::1]:2280');
  assert.equal(formatBotListen(spec('localhost:2280')), 'localhost:2280');
});

test('listened connections: the LOCAL end is the port (and the address, when one is given)', () => {
  const any = spec(2280);
  assert.equal(isListenedConnection(any, '127.0.0.1', 2280), true);
  assert.equal(isListenedConnection(any, '192.168.1.5', 2280), true);
  assert.equal(isListenedConnection(any, '127.0.0.1', 2281), false);
  const v4 = spec('127.0.0.1:2280');
  assert.equal(isListenedConnection(v4, '127.0.0.1', 2280), true);
  assert.equal(isListenedConnection(v4, '192.168.1.5', 2280), false);
  const lo = spec('localhost:2280');
  assert.equal(isListenedConnection(lo, '::1', 2280), true);
  assert.equal(isListenedConnection(lo, '127.0.0.1', 2280), true);
  assert.equal(isListenedConnection(lo, '10.0.0.1', 2280), false);
});

test('a listener serves the spec when bound to its address or to all addresses; clashing bindings overlap', () => {
  const v4 = spec('127.0.0.1:2280');
  assert.equal(isServingListener(v4, '127.0.0.1', 2280), true);
  assert.equal(isServingListener(v4, '0.0.0.0', 2280), true);
  assert.equal(isServingListener(v4, '::', 2280), true, 'a dual-stack server');
  assert.equal(isServingListener(v4, '10.0.0.1', 2280), false);
  assert.equal(isServingListener(v4, '127.0.0.1', 2281), false);
  assert.equal(isServingListener(spec(2280), '10.0.0.1', 2280), true);
  assert.equal(bindingsOverlap(spec(2280), '10.0.0.1', 2280), true);
  assert.equal(bindingsOverlap(v4, '0.0.0.0', 2280), true);
  assert.equal(bindingsOverlap(v4, '10.0.0.1', 2280), false, 'another address on the same port does not clash');
  assert.equal(bindingsOverlap(v4, '127.0.0.1', 2281), false);
});

test('listenPorts: the ports to wait for before a start, from probes.link.listen', () => {
  assert.deepEqual(listenPorts({ probes: { link: { listen: '127.0.0.1:2280' } } }), [{ host: '127.0.0.1', port: 2280 }]);
  assert.deepEqual(listenPorts({ probes: { link: { listen: 5140 } } }), [{ host: undefined, port: 5140 }]);
  assert.deepEqual(listenPorts({ probes: { link: {} } }), []);
  assert.deepEqual(listenPorts({ probes: {} }), []);
});
