import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostPortOfUrl, linkTargets, parseHostPort, TargetMatcher, type Lookup } from '../../../src/probes/link/target.js';

const noLocal = () => new Set<string>();

test('host:port parsing, URL default ports, and where the target comes from', () => {
  assert.deepEqual(parseHostPort('127.0.0.1:8080'), { host: '127.0.0.1', port: 8080 });
  assert.deepEqual(parseHostPort('[::1]:8080'), { host: '::1', port: 8080 });
  assert.deepEqual(parseHostPort('mirai:8080'), { host: 'mirai', port: 8080 });
  assert.equal(parseHostPort('mirai'), undefined);
  assert.equal(parseHostPort('mirai:0'), undefined);
  assert.equal(parseHostPort('::1:8080'), undefined);
  assert.deepEqual(hostPortOfUrl('http://example.org'), { host: 'example.org', port: 80 });
  assert.deepEqual(hostPortOfUrl('https://example.org/x'), { host: 'example.org', port: 443 });
  assert.deepEqual(hostPortOfUrl('http://[::1]:8080'), { host: '::1', port: 8080 });
  assert.deepEqual(hostPortOfUrl('tcp://mirai:8080'), { host: 'mirai', port: 8080 });
  assert.equal(hostPortOfUrl('tcp://mirai'), undefined);

  const backend = (kind: string, url?: string, wsUrl?: string) => ({ kind, url, wsUrl });
  assert.deepEqual(linkTargets({ backend: backend('mirai', 'http://127.0.0.1:8080'), probes: { link: {} } }), [
    { host: '127.0.0.1', port: 8080, from: 'backend.url' },
  ]);
  assert.deepEqual(
    linkTargets({ backend: backend('mirai', 'http://127.0.0.1:8080', 'ws://127.0.0.1:8081'), probes: { link: {} } }).map((t) => t.port),
    [8080, 8081],
  );
  assert.deepEqual(linkTargets({ backend: backend('mirai', 'http://a:1', 'ws://a:1'), probes: { link: {} } }).length, 1);
  assert.deepEqual(linkTargets({ backend: backend('none'), probes: { link: { target: 'x:9' } } }), [{ host: 'x', port: 9, from: 'probes.link.target' }]);
  assert.deepEqual(linkTargets({ backend: backend('mirai', 'http://a:1'), probes: { link: { target: 'b:2' } } }).map((t) => t.host), ['b']);
  assert.deepEqual(linkTargets({ backend: backend('none'), probes: { link: {} } }), []);
  // Listened only: the backend (NapCat) connects to the bot; its URL is not a link the bot dials.
  assert.deepEqual(linkTargets({ backend: backend('onebot', 'http://127.0.0.1:3000'), probes: { link: { listen: 2280 } } }), []);
  assert.deepEqual(linkTargets({ backend: backend('onebot', 'http://a:1'), probes: { link: { listen: 2280, target: 'b:2' } } }).map((t) => t.host), ['b']);
});

test('loopback targets accept every spelling of loopback on the port, and nothing else', async () => {
  for (const host of ['127.0.0.1', 'localhost', '::1', '::ffff:127.0.0.1', '0.0.0.0']) {
    const m = await TargetMatcher.resolve([{ host, port: 8080, from: 'test' }], { local: noLocal, lookup: async () => ['127.0.0.1', '::1'] });
    for (const address of ['127.0.0.1', '127.0.1.1', '::1']) assert.ok(m.accepts(address, 8080), `${host} accepts ${address}`);
    assert.ok(!m.accepts('127.0.0.1', 8081), `${host}: another port`);
    assert.ok(!m.accepts('10.0.0.5', 8080), `${host}: another machine`);
  }
});

test('a local target accepts this machine\'s own addresses (a server bound to 0.0.0.0); a remote one only itself', async () => {
  const local = () => new Set(['127.0.0.1', '::1', '192.168.1.5']);
  const m = await TargetMatcher.resolve([{ host: '127.0.0.1', port: 8080, from: 'test' }], { local });
  assert.ok(m.accepts('192.168.1.5', 8080));
  const lan = await TargetMatcher.resolve([{ host: '192.168.1.5', port: 8080, from: 'test' }], { local });
  assert.ok(lan.accepts('127.0.0.1', 8080), 'the LAN address of this machine is local too');
  const remote = await TargetMatcher.resolve([{ host: '10.0.0.7', port: 8080, from: 'test' }], { local });
  assert.ok(remote.accepts('10.0.0.7', 8080));
  assert.ok(!remote.accepts('127.0.0.1', 8080));
  assert.ok(!remote.accepts('192.168.1.5', 8080));
  assert.ok(!remote.hasNames);
});

test('names resolve to all their addresses once, again on refresh (accumulating), and report failures', async () => {
  let answer: string[] | Error = ['172.18.0.3'];
  let calls = 0;
  const lookup: Lookup = async () => {
    calls++;
    if (answer instanceof Error) throw answer;
    return answer;
  };
  const m = await TargetMatcher.resolve([{ host: 'mirai', port: 8080, from: 'test' }], { local: noLocal, lookup });
  assert.equal(calls, 1);
  assert.ok(m.hasNames);
  assert.ok(m.accepts('172.18.0.3', 8080));
  assert.ok(m.accepts('172.18.0.3', 8080) && !m.accepts('172.18.0.4', 8080));
  answer = ['172.18.0.4', '::ffff:172.18.0.9'];
  await m.refresh();
  assert.ok(m.accepts('172.18.0.3', 8080), 'old addresses stay');
  assert.ok(m.accepts('172.18.0.4', 8080));
  assert.ok(m.accepts('172.18.0.9', 8080), 'IPv4-mapped answers match the IPv4 address');
  assert.deepEqual(m.unresolved(), []);

  const failing = await TargetMatcher.resolve([{ host: 'nowhere', port: 1, from: 'test' }], {
    local: noLocal,
    lookup: async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND nowhere'), { code: 'ENOTFOUND' });
    },
  });
  assert.deepEqual(failing.unresolved(), ['cannot resolve "nowhere" (ENOTFOUND)']);
  const slow = await TargetMatcher.resolve([{ host: 'slow', port: 1, from: 'test' }], {
    local: noLocal,
    lookupTimeoutMs: 20,
    lookup: () => new Promise(() => {}),
  });
  assert.match(slow.unresolved()[0] ?? '', /cannot resolve "slow" \(no answer within 20ms\)/);
});

test('the system resolver: localhost is loopback', async () => {
  const m = await TargetMatcher.resolve([{ host: 'localhost', port: 8080, from: 'test' }]);
  assert.ok(m.accepts('127.0.0.1', 8080));
  assert.ok(m.accepts('::1', 8080));
});
