import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { LinkProbe, LinkSampler, linkRestartReason, type LinkSample, type TreeConnection, type TreeListener } from '../../../src/probes/link/link-probe.js';
import { TargetMatcher, type Lookup } from '../../../src/probes/link/target.js';
import { processStartTime } from '../../../src/process/proc-stat.js';
import { FakeProc, tcpLine } from '../../helpers/fake-proc.js';
import { waitUntil } from '../../helpers/wait.js';
import { spawnTree } from '../../process/spawn-tree.js';
import { systemClock } from '../../../src/clock/clock.js';

const MARKER = { name: 'BOT_WATCHDOG_TREE', value: 'tree-1' };
const markerEnv = { [MARKER.name]: MARKER.value };
const ROOT = { pid: 100, startTime: 100 };

function fakeProc(t: TestContext): FakeProc {
  const proc = new FakeProc();
  t.after(() => proc.cleanup());
  return proc;
}

const matcher = (host = '127.0.0.1', port = 8080, lookup?: Lookup) =>
  TargetMatcher.resolve([{ host, port, from: 'test' }], { local: () => new Set(), ...(lookup ? { lookup } : {}) });

async function sampleWith(proc: FakeProc, target = '127.0.0.1', opts: { marker?: boolean } = {}): Promise<{ sampler: LinkSampler; sample: () => LinkSample }> {
  const m = await matcher(target);
  const sampler = new LinkSampler({ root: ROOT, procRoot: proc.root, ...(opts.marker === false ? {} : { marker: MARKER }) });
  return { sampler, sample: () => sampler.sample((c) => m.accepts(c.remoteAddress, c.remotePort)) };
}

test('the root\'s connection to the backend is the link; the next sample needs no tree scan', async (t) => {
  const proc = fakeProc(t)
    .add({ pid: 100, ppid: 1, sockets: [5001, 5002], env: markerEnv })
    .add({ pid: 101, ppid: 100, pgid: 100, sid: 100, startTime: 101, env: markerEnv })
    .net(100, [tcpLine(0, '127.0.0.1:40000', '10.1.1.1:443', 5002), tcpLine(1, '127.0.0.1:40001', '127.0.0.1:8080', 5001)]);
  const { sample } = await sampleWith(proc);
  const first = sample();
  assert.equal(first.kind, 'ok');
  assert.ok(first.kind === 'ok');
  assert.deepEqual(first.link, { pid: 100, localAddress: '127.0.0.1', localPort: 40000 + 1, remoteAddress: '127.0.0.1', remotePort: 8080, rxQueue: 0 });
  assert.equal(first.fullScan, true);
  assert.equal(first.processes, 2);
  assert.equal(first.connections.length, 2);
  const second = sample();
  assert.ok(second.kind === 'ok' && second.link && !second.fullScan, 'the owner still holds it: only its own fds are read');
});

test('a re-parented, setsid\'d daemon of the tree holding the link is found through the marker only', async (t) => {
  const proc = fakeProc(t)
    .add({ pid: 100, ppid: 1, sockets: [], env: markerEnv })
    .add({ pid: 250, ppid: 1, pgid: 250, sid: 250, startTime: 150, sockets: [7001], env: markerEnv })
    .add({ pid: 260, ppid: 1, pgid: 260, sid: 260, startTime: 160, sockets: [7002] }) // a stranger with the same kind of link
    .net(100, [tcpLine(0, '127.0.0.1:40000', '127.0.0.1:8080', 7001), tcpLine(1, '127.0.0.1:40002', '127.0.0.1:8080', 7002)]);
  const withMarker = (await sampleWith(proc)).sample();
  assert.ok(withMarker.kind === 'ok');
  assert.equal(withMarker.link?.pid, 250);
  const without = (await sampleWith(proc, '127.0.0.1', { marker: false })).sample();
  assert.ok(without.kind === 'ok');
  assert.equal(without.link, undefined, 'the stranger\'s connection is not the bot\'s link');
});

test('only ESTABLISHED connections to the target count: CLOSE_WAIT, SYN_SENT, other ports do not', async (t) => {
  const proc = fakeProc(t)
    .add({ pid: 100, ppid: 1, sockets: [1, 2, 3, 4], env: markerEnv })
    .net(100, [
      tcpLine(0, '127.0.0.1:40000', '127.0.0.1:8080', 1, 0x08), // CLOSE_WAIT: the deaf bot never closed it
      tcpLine(1, '127.0.0.1:40001', '127.0.0.1:8080', 2, 0x02), // SYN_SENT
      tcpLine(2, '127.0.0.1:40002', '127.0.0.1:8081', 3),
      tcpLine(3, '0.0.0.0:8080', '0.0.0.0:0', 4, 0x0a), // LISTEN on the same port
    ]);
  const s = (await sampleWith(proc)).sample();
  assert.ok(s.kind === 'ok');
  assert.equal(s.link, undefined);
  assert.deepEqual(s.connections.map((c) => c.remotePort), [8081]);
});

test('IPv4-mapped (dual-stack) and ::1 connections in tcp6 match loopback targets', async (t) => {
  const proc = fakeProc(t)
    .add({ pid: 100, ppid: 1, sockets: [11], env: markerEnv })
    .net(100, [], [tcpLine(0, '[::ffff:127.0.0.1]:40000', '[::ffff:127.0.0.1]:8080', 11)]);
  for (const target of ['127.0.0.1', 'localhost', '::1']) {
    const s = (await sampleWith(proc, target)).sample();
    assert.ok(s.kind === 'ok' && s.link?.remoteAddress === '127.0.0.1', target);
  }
  const proc6 = fakeProc(t)
    .add({ pid: 100, ppid: 1, sockets: [12], env: markerEnv })
    .net(100, [], [tcpLine(0, '[::1]:40000', '[::1]:8080', 12)]);
  const s6 = (await sampleWith(proc6, '127.0.0.1')).sample();
  assert.ok(s6.kind === 'ok' && s6.link?.remoteAddress === '::1');
});

test('the socket tables of the bot\'s own network namespace are read (/proc/<root>/net), not ours', async (t) => {
  const proc = fakeProc(t)
    .add({ pid: 100, ppid: 1, sockets: [21], env: markerEnv })
    .net(undefined, [tcpLine(0, '127.0.0.1:40000', '127.0.0.1:8080', 21)])
    .net(100, [tcpLine(0, '127.0.0.1:40000', '127.0.0.1:9999', 21)]);
  const s = (await sampleWith(proc)).sample();
  assert.ok(s.kind === 'ok' && s.link === undefined && s.connections[0]?.remotePort === 9999);
});

test('the fast path is dropped when the owner lost the link or its pid now names another process', async (t) => {
  const proc = fakeProc(t)
    .add({ pid: 100, ppid: 1, sockets: [31], env: markerEnv })
    .add({ pid: 101, ppid: 100, pgid: 100, sid: 100, startTime: 101, sockets: [32], env: markerEnv })
    .net(100, [tcpLine(0, '127.0.0.1:40000', '127.0.0.1:8080', 32)]);
  const { sample } = await sampleWith(proc);
  assert.equal((sample() as { link?: TreeConnection }).link?.pid, 101);
  // 101 exits and its pid is reused by a stranger that holds the same inode number.
  proc.remove(101).add({ pid: 101, ppid: 1, pgid: 101, sid: 101, startTime: 999, sockets: [32] });
  const after = sample();
  assert.ok(after.kind === 'ok' && after.fullScan && after.link === undefined);
  // The root takes over the link.
  proc.net(100, [tcpLine(0, '127.0.0.1:40005', '127.0.0.1:8080', 31)]);
  const again = sample();
  assert.ok(again.kind === 'ok' && again.link?.pid === 100 && again.fullScan);
});

test('an fd table we cannot read is reported (not a lost link); a tree that is gone is "gone"', async (t) => {
  const proc = fakeProc(t)
    .add({ pid: 100, ppid: 1, sockets: [], env: markerEnv })
    .add({ pid: 101, ppid: 100, pgid: 100, sid: 100, startTime: 101, fdUnreadable: true, env: markerEnv })
    .net(100, []);
  const s = (await sampleWith(proc)).sample();
  assert.ok(s.kind === 'unreadable');
  assert.equal(s.code, 'ENOTDIR');
  assert.match(s.path, /\/101\/fd$/);
  // With the link visible elsewhere in the tree, the unreadable member does not matter.
  proc.remove(100).add({ pid: 100, ppid: 1, sockets: [41], env: markerEnv }).net(100, [tcpLine(0, '127.0.0.1:1', '127.0.0.1:8080', 41)]);
  const ok = (await sampleWith(proc)).sample();
  assert.ok(ok.kind === 'ok' && ok.link?.pid === 100);

  const empty = fakeProc(t);
  assert.deepEqual((await sampleWith(empty)).sample(), { kind: 'gone' });
});

/** A sampler that returns what the test says. */
function scriptedSampler(): { sampler: { sample: () => LinkSample }; set: (s: LinkSample) => void } {
  let next: LinkSample = { kind: 'gone' };
  return { sampler: { sample: () => next }, set: (s) => (next = s) };
}
const conn = (remote: string, port = 8080, rxQueue = 0): TreeConnection => ({ pid: 7, localAddress: '127.0.0.1', localPort: 40000, remoteAddress: remote, remotePort: port, rxQueue });
const ok = (link: TreeConnection | undefined, connections: TreeConnection[] = link ? [link] : [], listeners: TreeListener[] = []): LinkSample => ({
  kind: 'ok',
  link,
  links: link ? [link] : [],
  listeners,
  connections,
  processes: 1,
  fullScan: true,
});

test('LinkProbe: alive while any sample within grace saw the link; then unhealthy with the evidence', async () => {
  let now = 0;
  const s = scriptedSampler();
  const probe = new LinkProbe({ sampler: s.sampler, matcher: await matcher(), grace: 1000, since: 0, now: () => now, wallNow: () => 1_700_000_000_000 + now });
  assert.equal(probe.dueInMs(), 1000);
  s.set(ok(undefined));
  now = 999;
  let r = await probe.check();
  assert.equal(r.verdict, 'healthy');
  assert.match(r.reason, /never seen since the bot started/);
  now = 1000;
  r = await probe.check();
  assert.equal(r.verdict, 'unhealthy');
  assert.match(r.reason, /no connection from the bot to 127\.0\.0\.1:8080 for 1\.0s \(never seen since the bot started\)/);
  assert.equal(r.details?.['lastSeenAt'], null);

  now = 2000;
  s.set(ok(conn('127.0.0.1')));
  r = await probe.check();
  assert.equal(r.verdict, 'healthy');
  assert.match(r.reason, /connected to 127\.0\.0\.1:8080 \(pid 7\)/);
  assert.equal(r.details?.['connectionPid'], 7);
  assert.equal(probe.dueInMs(), 1000);

  s.set(ok(undefined, [conn('10.0.0.9', 443)]));
  now = 2600;
  r = await probe.check();
  assert.equal(r.verdict, 'healthy', 'a short gap (an HTTP poller between requests) is within grace');
  assert.match(r.reason, /last seen 0\.6s ago/);
  assert.equal(probe.dueInMs(), 400);
  now = 3000;
  r = await probe.check();
  assert.equal(r.verdict, 'unhealthy');
  assert.deepEqual(
    { ...r.details },
    {
      target: '127.0.0.1:8080',
      graceMs: 1000,
      missingForMs: 1000,
      lastSeenAt: new Date(1_700_000_000_000 + 2000).toISOString(),
      lastSeenAgoMs: 1000,
      otherConnections: ['10.0.0.9:443'],
    },
  );
});

test('LinkProbe: a tree that is gone is not a lost link; unreadable sockets are a misconfiguration', async () => {
  const s = scriptedSampler();
  const probe = new LinkProbe({ sampler: s.sampler, matcher: await matcher(), grace: 10, since: 0, now: () => 1000 });
  s.set({ kind: 'gone' });
  assert.equal((await probe.check()).verdict, 'healthy');
  s.set({ kind: 'unreadable', code: 'EACCES', path: '/proc/5/fd' });
  const r = await probe.check();
  assert.equal(r.verdict, 'misconfigured');
  assert.match(r.reason, /cannot read \/proc\/5\/fd \(EACCES\): run the watchdog as the bot's user or as root/);
  const throwing = new LinkProbe({ sampler: { sample: () => { throw new Error('boom'); } }, matcher: await matcher(), grace: 10, since: 0, now: systemClock.now });
  assert.equal((await throwing.check()).verdict, 'misconfigured', 'check() never throws');
});

test('LinkProbe: on a miss, a name is looked up again (at most every refreshEvery): a backend with a new address', async () => {
  let now = 0;
  let answer = ['172.18.0.3'];
  let lookups = 0;
  const m = await matcher('mirai', 8080, async () => (lookups++, answer));
  const s = scriptedSampler();
  const probe = new LinkProbe({ sampler: s.sampler, matcher: m, grace: 60_000, since: 0, now: () => now, refreshEvery: 5000 });
  answer = ['172.18.0.4'];
  s.set(ok(undefined, [conn('172.18.0.4')]));
  now = 1000;
  assert.match((await probe.check()).reason, /no connection/);
  assert.equal(lookups, 1, 'not yet: refreshEvery');
  now = 5000;
  const r = await probe.check();
  assert.equal(lookups, 2);
  assert.equal(r.verdict, 'healthy');
  assert.match(r.reason, /connected to 172\.18\.0\.4:8080/);

  const dead = await matcher('nowhere', 1, async () => {
    throw Object.assign(new Error('x'), { code: 'ENOTFOUND' });
  });
  const unresolved = new LinkProbe({ sampler: { sample: () => ok(undefined) }, matcher: dead, grace: 1, since: 0, now: () => 10 });
  const u = await unresolved.check();
  assert.equal(u.verdict, 'misconfigured');
  assert.match(u.reason, /cannot resolve "nowhere" \(ENOTFOUND\)/);
});

async function listen(t: TestContext, host: string): Promise<{ port: number; sockets: Set<net.Socket> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    sockets.add(socket);
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, host, resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port: (server.address() as net.AddressInfo).port, sockets };
}

test('real processes: the link held by a double-forked daemon of the tree, then lost when the server drops it', async (t) => {
  const server = await listen(t, '127.0.0.1');
  const tree = await spawnTree('../bots/link-tree.mjs', ['127.0.0.1', String(server.port), 'daemon', '3']);
  t.after(() => tree.cleanup());
  const [root, holder] = tree.pids as [number, number];
  const m = await TargetMatcher.resolve([{ host: 'localhost', port: server.port, from: 'test' }]);
  const sampler = new LinkSampler({ root: { pid: root, startTime: processStartTime(root) as number }, marker: tree.marker });
  const accept = (c: TreeConnection) => m.accepts(c.remoteAddress, c.remotePort);
  const s = sampler.sample(accept);
  assert.ok(s.kind === 'ok', JSON.stringify(s));
  assert.equal(s.link?.pid, holder);
  assert.equal(s.link?.remotePort, server.port);
  assert.ok(s.processes >= 5, `root, holder and the fan-out: ${s.processes}`);

  for (const socket of server.sockets) socket.destroy();
  await waitUntil(() => {
    const after = sampler.sample(accept);
    return after.kind === 'ok' && after.link === undefined;
  }, 10_000);
});

test('real processes: an IPv6 ::1 connection matches a "localhost" target', async (t) => {
  let server: { port: number; sockets: Set<net.Socket> };
  try {
    server = await listen(t, '::1');
  } catch {
    t.skip('no IPv6 loopback here');
    return;
  }
  const tree = await spawnTree('../bots/link-tree.mjs', ['::1', String(server.port), 'self']);
  t.after(() => tree.cleanup());
  const m = await TargetMatcher.resolve([{ host: 'localhost', port: server.port, from: 'test' }]);
  const sampler = new LinkSampler({ root: { pid: tree.pids[0] as number }, marker: tree.marker });
  const s = sampler.sample((c) => m.accepts(c.remoteAddress, c.remotePort));
  assert.ok(s.kind === 'ok' && s.link?.remoteAddress === '::1', JSON.stringify(s));
});

test('as few socket tables as possible are read: tcp6 only while a socket of the tree is unaccounted for', async (t) => {
  const proc = fakeProc(t)
    .add({ pid: 100, ppid: 1, sockets: [51, 52], env: markerEnv })
    .net(100, [tcpLine(0, '127.0.0.1:40000', '127.0.0.1:8080', 51)]);
  // A tcp6 that cannot be read: any attempt to read it shows up as "unreadable".
  mkdirSync(join(proc.root, '100', 'net', 'tcp6'));
  const { sample } = await sampleWith(proc);
  assert.ok(sample().kind === 'ok', 'the link is in tcp: tcp6 is not read');
  // No link; socket 52 is a Unix socket (listed in net/unix): still no need for tcp6.
  proc.net(100, [tcpLine(0, '127.0.0.1:40000', '127.0.0.1:9999', 51)]);
  writeFileSync(join(proc.root, '100', 'net', 'unix'), 'Num       RefCount Protocol Flags    Type St Inode Path\n0000000000000000: 00000002 00000000 00010000 0001 01 52 /run/x.sock\n');
  const miss = (await sampleWith(proc)).sample();
  assert.ok(miss.kind === 'ok' && miss.link === undefined, JSON.stringify(miss));
  // An unknown socket (neither in tcp nor Unix): tcp6 must be read.
  proc.remove(100).add({ pid: 100, ppid: 1, sockets: [51, 53], env: markerEnv }).net(100, [tcpLine(0, '127.0.0.1:40000', '127.0.0.1:9999', 51)]);
  mkdirSync(join(proc.root, '100', 'net', 'tcp6'));
  assert.equal((await sampleWith(proc)).sample().kind, 'unreadable');
  // Found in tcp6 once: tcp6 is read first from then on.
  const six = fakeProc(t)
    .add({ pid: 100, ppid: 1, sockets: [61], env: markerEnv })
    .net(100, [], [tcpLine(0, '[::1]:40000', '[::1]:8080', 61)]);
  const sixSampler = new LinkSampler({ root: ROOT, procRoot: six.root, marker: MARKER });
  const m = await matcher();
  const accept = (c: TreeConnection) => m.accepts(c.remoteAddress, c.remotePort);
  assert.ok(sixSampler.sample(accept).kind === 'ok');
  rmSync(join(six.root, '100', 'net', 'tcp'));
  mkdirSync(join(six.root, '100', 'net', 'tcp'));
  const again = sixSampler.sample(accept);
  assert.ok(again.kind === 'ok' && again.link?.remoteAddress === '::1' && !again.fullScan, JSON.stringify(again));
});

// probes.link.listen and probes.link.stall (issue 10)

const LISTEN = { host: undefined, port: 2280 };
const listened = (remotePort: number, rxQueue = 0, pid = 7): TreeConnection => ({
  pid,
  localAddress: '127.0.0.1',
  localPort: 2280,
  remoteAddress: '127.0.0.1',
  remotePort,
  rxQueue,
});
const listening = (pid = 7): TreeListener => ({ pid, address: '0.0.0.0', port: 2280 });
const okListen = (links: TreeConnection[], listeners: TreeListener[], others: TreeConnection[] = []): LinkSample => ({
  kind: 'ok',
  link: links[0],
  links,
  listeners,
  connections: [...links, ...others],
  processes: 1,
  fullScan: true,
});

test('sampler: a listened link is a connection whose LOCAL end is the port; the LISTEN socket is found too, then read fast', async (t) => {
  const proc = fakeProc(t)
    .add({ pid: 100, ppid: 1, sockets: [801, 802, 803], env: markerEnv })
    .net(100, [
      tcpLine(0, '0.0.0.0:2280', '0.0.0.0:0', 801, 0x0a),
      tcpLine(1, '127.0.0.1:2280', '127.0.0.1:51000', 802, 1, 96),
      tcpLine(2, '127.0.0.1:51999', '127.0.0.1:2280', 803), // the bot dialling its own port is not a listened link
    ]);
  const sampler = new LinkSampler({ root: ROOT, procRoot: proc.root, marker: MARKER });
  const query = {
    accept: (c: TreeConnection) => c.localPort === 2280,
    listener: (l: TreeListener) => l.port === 2280,
  };
  const first = sampler.sample(query);
  assert.ok(first.kind === 'ok', JSON.stringify(first));
  assert.deepEqual(first.links, [{ pid: 100, localAddress: '127.0.0.1', localPort: 2280, remoteAddress: '127.0.0.1', remotePort: 51000, rxQueue: 96 }]);
  assert.deepEqual(first.listeners, [{ pid: 100, address: '0.0.0.0', port: 2280 }]);
  assert.equal(first.connections.length, 2);
  const second = sampler.sample(query);
  assert.ok(second.kind === 'ok' && !second.fullScan && second.listeners.length === 1, 'both still held by pid 100: no tree scan');
  // The listener closes (the server task died) while the link stays: a full scan, and no listener.
  proc.net(100, [tcpLine(1, '127.0.0.1:2280', '127.0.0.1:51000', 802)]);
  const third = sampler.sample(query);
  assert.ok(third.kind === 'ok' && third.fullScan && third.listeners.length === 0 && third.links.length === 1, JSON.stringify(third));
});

test('sampler: listener and link held by different processes of the tree (a master and its worker)', async (t) => {
  const proc = fakeProc(t)
    .add({ pid: 100, ppid: 1, sockets: [901], env: markerEnv })
    .add({ pid: 101, ppid: 100, pgid: 100, sid: 100, startTime: 101, sockets: [901, 902], env: markerEnv })
    .add({ pid: 300, ppid: 1, pgid: 300, sid: 300, startTime: 300, sockets: [903] }); // not of the tree
  // A dual-stack server (Node's default): all in tcp6, IPv4 peers as ::ffff:a.b.c.d. The same
  // network namespace seen through either process.
  const tcp6 = [
    tcpLine(0, '[::]:2280', '[::]:0', 901, 0x0a),
    tcpLine(1, '[::ffff:127.0.0.1]:2280', '[::ffff:127.0.0.1]:51000', 902),
    tcpLine(2, '[::ffff:127.0.0.1]:2280', '[::ffff:127.0.0.1]:52000', 903),
  ];
  proc.net(100, [], tcp6).net(101, [], tcp6);
  const sampler = new LinkSampler({ root: ROOT, procRoot: proc.root, marker: MARKER });
  const query = { accept: (c: TreeConnection) => c.localPort === 2280, listener: (l: TreeListener) => l.port === 2280 };
  const s = sampler.sample(query);
  assert.ok(s.kind === 'ok', JSON.stringify(s));
  assert.deepEqual(s.links.map((c) => [c.pid, c.remotePort]), [[101, 51000]], 'the stranger\'s connection to the same port is not the bot\'s');
  assert.equal(s.listeners[0]?.address, '::');
  const again = sampler.sample(query);
  assert.ok(again.kind === 'ok' && !again.fullScan && again.links.length === 1 && again.listeners.length === 1, JSON.stringify(again));
});

test('LinkProbe listen: healthy while linked and listening; nothing listening for grace = link-lost saying so', async () => {
  let now = 0;
  const s = scriptedSampler();
  const probe = new LinkProbe({ sampler: s.sampler, listen: LISTEN, grace: 1000, since: 0, now: () => now, wallNow: () => 1_700_000_000_000 + now });
  s.set(okListen([listened(51000)], [listening()]));
  now = 100;
  let r = await probe.check();
  assert.equal(r.verdict, 'healthy');
  assert.equal(r.reason, ':2280 linked from 127.0.0.1:51000 (pid 7)');
  assert.equal(r.details?.['listen'], ':2280');
  assert.equal(r.details?.['target'], undefined, 'no dialled target');

  // The server task dies: listener and link gone.
  s.set(okListen([], [], [conn('10.0.0.9', 443)]));
  now = 600;
  r = await probe.check();
  assert.equal(r.verdict, 'healthy');
  assert.match(r.reason, /^nothing listens on :2280 now; last seen 0\.5s ago \(grace 1\.0s\)$/);
  assert.equal(probe.dueInMs(), 500);
  now = 1100;
  r = await probe.check();
  assert.equal(r.verdict, 'unhealthy');
  assert.equal(r.reason, 'nothing of the bot listens on :2280 for 1.0s (last seen 1.0s ago)');
  assert.deepEqual(
    { ...r.details },
    { listen: ':2280', listening: false, graceMs: 1000, missingForMs: 1000, lastSeenAt: new Date(1_700_000_000_100).toISOString(), lastSeenAgoMs: 1000 },
  );
  assert.equal(linkRestartReason(r), 'link-lost');
});

test('LinkProbe listen: listening but nobody connected for grace = link-lost; a listener that never came up says "never seen"', async () => {
  let now = 0;
  const s = scriptedSampler();
  const probe = new LinkProbe({ sampler: s.sampler, listen: LISTEN, grace: 1000, since: 0, now: () => now });
  s.set(okListen([], [listening()]));
  now = 500;
  let r = await probe.check();
  assert.equal(r.verdict, 'healthy');
  assert.match(r.reason, /^listening on :2280, no connection now; never seen since the bot started \(grace 1\.0s\)$/);
  now = 1000;
  r = await probe.check();
  assert.equal(r.verdict, 'unhealthy');
  assert.equal(r.reason, 'no connection to the bot\'s :2280 for 1.0s (never seen since the bot started)');
  assert.equal(r.details?.['listening'], true);

  const never = new LinkProbe({ sampler: { sample: () => okListen([], []) }, listen: LISTEN, grace: 1000, since: 0, now: () => 1000 });
  const n = await never.check();
  assert.equal(n.verdict, 'unhealthy');
  assert.equal(n.reason, 'nothing of the bot listens on :2280 for 1.0s (never seen since the bot started)');
});

test('LinkProbe with a target and listen: each link on its own grace; both named when healthy', async () => {
  let now = 0;
  const s = scriptedSampler();
  const probe = new LinkProbe({ sampler: s.sampler, matcher: await matcher(), listen: LISTEN, grace: 1000, since: 0, now: () => now });
  const dialled = conn('127.0.0.1');
  s.set(okListen([listened(51000), dialled], [listening()]));
  now = 100;
  let r = await probe.check();
  assert.equal(r.verdict, 'healthy');
  assert.equal(r.reason, ':2280 linked from 127.0.0.1:51000 (pid 7); connected to 127.0.0.1:8080 (pid 7)');
  assert.deepEqual([r.details?.['target'], r.details?.['listen']], ['127.0.0.1:8080', ':2280']);
  s.set(okListen([listened(51000)], [listening()]));
  now = 1100;
  r = await probe.check();
  assert.equal(r.verdict, 'unhealthy', 'the dialled link is gone, the listened one is not');
  assert.match(r.reason, /^no connection from the bot to 127\.0\.0\.1:8080 for 1\.0s/);
});

test('LinkProbe stall: unread bytes that never shrink for longer than stall = link-stalled with the queue sizes', async () => {
  let now = 0;
  const s = scriptedSampler();
  const sleep = async (ms: number) => void (now += ms);
  const probe = new LinkProbe({ sampler: s.sampler, listen: LISTEN, stall: 3000, stallConfirm: 1000, grace: 30_000, since: 0, now: () => now, sleep });
  const at = async (ms: number, rx: number) => {
    now = ms;
    s.set(okListen([listened(51000, rx)], [listening()]));
    return probe.check();
  };
  assert.equal((await at(0, 0)).verdict, 'healthy');
  // A bot that reads: the queue fills and drains between samples.
  for (const [ms, rx] of [[1000, 800], [2000, 0], [3000, 1200], [4000, 600], [5000, 2000], [6000, 0]] as const) {
    assert.equal((await at(ms, rx)).verdict, 'healthy', `${ms}`);
  }
  assert.equal((await at(7000, 150)).verdict, 'healthy');
  assert.equal(probe.dueInMs(), 1001, 'the runner checks again when the close look should begin');
  assert.equal((await at(8000, 150)).verdict, 'healthy');
  // Due at 9001: from 8001 this check watches the link every 20 ms until then, and it never shrinks.
  const r = await at(8001, 4000);
  assert.equal(now, 9001, 'the close look ended when the stall was due');
  assert.equal(r.verdict, 'unhealthy');
  const sizes = `150 → ${new Array(9).fill(4000).join(' → ')}`;
  assert.equal(r.reason, `the bot has not read its link 127.0.0.1:2280 ← 127.0.0.1:51000 for 3.0s: 4000 bytes wait unread (receive queue ${sizes})`);
  assert.deepEqual(
    { ...r.details },
    {
      listen: ':2280',
      stallMs: 3000,
      stalledForMs: 3001,
      connection: '127.0.0.1:2280 ← 127.0.0.1:51000',
      connectionPid: 7,
      rxQueue: 4000,
      rxQueueSamples: [150, ...new Array(9).fill(4000)],
    },
  );
  assert.equal(linkRestartReason(r), 'link-stalled');
});

test('LinkProbe stall: a shrink seen in the close look is the bot reading — no stall, and the clock starts again', async () => {
  let now = 0;
  // Bytes wait from 2000 on; a busy reader finally takes some at 3500.
  const sampler = { sample: () => okListen([listened(51000, now < 2000 ? 0 : now < 3500 ? 5000 : 4200)], [listening()]) };
  const probe = new LinkProbe({ sampler, listen: LISTEN, stall: 3000, stallConfirm: 1000, grace: 30_000, since: 0, now: () => now, sleep: async (ms) => void (now += ms) });
  for (const ms of [0, 1000, 2000, 3000]) {
    now = ms;
    assert.equal((await probe.check()).verdict, 'healthy');
  }
  assert.equal(probe.dueInMs(), 1, 'due at 4001 (3 s after the empty sample at 1000): the close look begins at 3001');
  now = 3001;
  const r = await probe.check();
  assert.equal(r.verdict, 'healthy');
  assert.equal(now, 3501, 'watched every 20 ms until it shrank');
  assert.equal(probe.dueInMs(), 2001, 'counted from the shrink now');
});

test('LinkProbe stall: a dialled link too; off when stall is absent', async () => {
  let now = 0;
  const s = scriptedSampler();
  const sleep = async (ms: number) => void (now += ms);
  const stalled = new LinkProbe({ sampler: s.sampler, matcher: await matcher(), stall: 2000, grace: 30_000, since: 0, now: () => now, sleep });
  const off = new LinkProbe({ sampler: s.sampler, matcher: await matcher(), grace: 30_000, since: 0, now: () => now, sleep });
  s.set(ok(conn('127.0.0.1', 8080, 64)));
  const verdicts = async () => [(await stalled.check()).verdict, (await off.check()).verdict];
  assert.deepEqual(await verdicts(), ['healthy', 'healthy']);
  now = 1000;
  assert.deepEqual(await verdicts(), ['healthy', 'healthy']);
  now = 2000;
  const [verdict] = await verdicts();
  assert.equal(verdict, 'unhealthy');
  for (now = 3000; now < 60_000; now += 1000) assert.equal((await off.check()).verdict, 'healthy');
});
