import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { loadConfig, resolveConfig } from '../../src/config/load-config.js';
import { createBackend } from '../../src/backend/create-backend.js';
import { BACKEND_PROBE_NAMES, buildProbes } from '../../src/probes/build-probes.js';
import { FakeMirai } from '../helpers/fake-mirai.js';
import { FakeClock, flush } from '../helpers/fake-clock.js';
import { memoryLogger } from '../helpers/log-sink.js';
import { FakePort } from './backend-harness.js';

const config = (backend: Record<string, unknown>, probes: Record<string, unknown> = {}) => resolveConfig({ command: ['x'], backend, probes });
/** The backend probes check would run (bot-process joins them when a state file exists). */
const backendOnly = async (c: ReturnType<typeof config>) => (await buildProbes(c, new FakeClock())).filter((p) => p.name !== 'bot-process');

test('bot-watchdog check gets the backend poll and, when enabled, the WebSocket handshake, per kind', async () => {
  const names = async (c: ReturnType<typeof config>) => (await backendOnly(c)).map((p) => p.name);
  assert.deepEqual(await names(config({})), []);
  assert.deepEqual(await names(config({ kind: 'mirai', url: 'http://h:8080', verifyKey: 'k', qq: 1 })), ['mirai-http', 'mirai-ws']);
  assert.deepEqual(await names(config({ kind: 'mirai', url: 'http://h:8080', verifyKey: 'k' }, { websocket: { enabled: false } })), ['mirai-http']);
  assert.deepEqual(await names(config({ kind: 'onebot', url: 'http://h:5700', accessToken: 't' })), ['onebot-http', 'onebot-ws']);
  assert.deepEqual(await names(config({ kind: 'http', url: 'http://h/health' })), ['http']);
  assert.deepEqual(await names(config({ kind: 'tcp', url: 'tcp://h:1' })), ['tcp']);
});

test('build-probes knows every backend probe name (check --only skips loading them otherwise)', () => {
  const configs = [
    config({ kind: 'mirai', url: 'http://h:8080', verifyKey: 'k', qq: 1 }),
    config({ kind: 'onebot', url: 'http://h:5700' }),
    config({ kind: 'http', url: 'http://h/health' }),
    config({ kind: 'tcp', url: 'tcp://h:1' }),
  ];
  for (const c of configs) for (const probe of createBackend(c, { clock: new FakeClock() })?.oneShotProbes ?? []) assert.ok(BACKEND_PROBE_NAMES.includes(probe.name), probe.name);
});

test('the one-shot mirai probes pass against a live fake, and leave no session behind', async (t) => {
  const fake = await FakeMirai.start({ verifyKey: 'key-1', bots: [5] });
  t.after(() => fake.stop());
  for (const websocket of [{}, { enabled: false }]) {
    const probes = await backendOnly(config({ kind: 'mirai', url: fake.url, verifyKey: 'key-1', qq: 5 }, { websocket }));
    for (const probe of probes) assert.equal((await probe.check()).verdict, 'healthy', probe.name);
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(fake.sessions(), 0);
});

test('the backend watcher exists for every kind but "none"; websocket on http/tcp is ignored with a warning', () => {
  const { logger, events } = memoryLogger();
  const clock = new FakeClock();
  const port = new FakePort(clock);
  assert.equal(createBackend(config({}), { clock }), undefined);
  assert.ok(createBackend(config({ kind: 'mirai', url: 'http://h:8080', verifyKey: 'k' }), { clock })?.watcher(port, logger));
  assert.equal(events('config.ignored').length, 0);
  assert.ok(createBackend(config({ kind: 'tcp', url: 'tcp://h:1' }, { websocket: { enabled: true } }), { clock })?.watcher(port, logger));
  assert.equal(events('config.ignored').length, 1);
});

test('one factory: the watcher polls with the very probe check runs, on the injected clock', async () => {
  const clock = new FakeClock();
  const onebot = { kind: 'onebot', url: 'http://127.0.0.1:1', accessToken: 't' };
  const withLink = createBackend(config(onebot), { clock });
  assert.equal(withLink?.oneShotProbes[0], withLink?.pollProbe);
  assert.deepEqual(withLink?.oneShotProbes.map((p) => p.name), ['onebot-http', 'onebot-ws']);
  // No link here: it would open a real socket.
  const backend = createBackend(config(onebot, { backend: { interval: '1s', timeout: '300ms' }, websocket: { enabled: false } }), { clock });
  assert.ok(backend?.pollProbe);
  assert.deepEqual(backend.oneShotProbes, [backend.pollProbe]);
  // The probe's network side is replaced: this is about who polls what, and when (virtual time only).
  const checks: number[] = [];
  backend.pollProbe.check = () => {
    checks.push(clock.now());
    return Promise.resolve({ probe: 'onebot-http', verdict: 'unhealthy', reason: 'GET /get_status: connection refused', latencyMs: 0 });
  };
  const port = new FakePort(clock, backend.policy);
  const watcher = backend.watcher(port, memoryLogger().logger);
  void watcher.start();
  await flush();
  assert.deepEqual(checks, [0]);
  await clock.advance(999);
  assert.deepEqual(checks, [0]);
  await clock.advance(1);
  assert.deepEqual(checks, [0, 1000], 'the next poll came 1 s of virtual time later');
  assert.deepEqual(port.verdicts('onebot-http'), ['unhealthy', 'unhealthy']);
  await watcher.stop();
});

test('the example watchdog.config.json watches Mirai with the WebSocket link, loadable without env vars', async () => {
  const env = { ...process.env };
  delete env['MIRAI_VERIFY_KEY'];
  const example = loadConfig({ configFile: fileURLToPath(new URL('../../watchdog.config.json', import.meta.url)), env });
  assert.equal(example.backend.kind, 'mirai');
  assert.equal(example.backend.url, 'http://127.0.0.1:8080');
  assert.equal(example.backend.verifyKey, 'yirimirai', "QChatGPT's default key as the fallback");
  assert.equal(example.probes.websocket.enabled, true);
  assert.deepEqual((await backendOnly(example)).map((p) => p.name), ['mirai-http', 'mirai-ws']);
});

test('the policy table: who gates the start, what an offline account means, who restarts the bot', () => {
  const clock = new FakeClock();
  const policy = (backend: Record<string, unknown>) => createBackend(config(backend), { clock })?.policy;
  assert.deepEqual(policy({ kind: 'mirai', url: 'http://h:8080', verifyKey: 'k' }), { gatesStart: true, accountOffline: 'relogin', restartsBot: true });
  assert.deepEqual(policy({ kind: 'onebot', url: 'http://h:5700' }), { gatesStart: true, accountOffline: 'outage', restartsBot: true });
  assert.deepEqual(policy({ kind: 'http', url: 'http://h/health' }), { gatesStart: true, accountOffline: 'report', restartsBot: true });
  assert.deepEqual(policy({ kind: 'tcp', url: 'tcp://h:1' }), { gatesStart: true, accountOffline: 'report', restartsBot: true });
  const reverse = createBackend(config({ kind: 'onebot-reverse', listen: 9466 }), { clock });
  assert.deepEqual(reverse?.policy, { gatesStart: false, accountOffline: 'report', restartsBot: false });
  assert.equal(reverse?.pollProbe, undefined);
  assert.deepEqual(reverse?.oneShotProbes, []);
});
