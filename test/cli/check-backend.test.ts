// `check` against the fake Mirai: the backend probes run once (the WebSocket handshake is closed
// again) and their verdicts decide the exit code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeMirai } from '../helpers/fake-mirai.js';
import { waitUntil } from '../helpers/wait.js';
import { runWatchdog } from '../helpers/watchdog-process.js';

const KEY = 'check-key';
const QQ = 123456789;

function configFor(url: string, verifyKey = KEY): string {
  const dir = mkdtempSync(join(tmpdir(), 'bw-check-backend-'));
  const file = join(dir, 'watchdog.config.json');
  writeFileSync(file, JSON.stringify({ command: ['python3', 'main.py'], backend: { kind: 'mirai', url, verifyKey, qq: QQ } }));
  return file;
}

async function check(args: string[]) {
  const run = runWatchdog(['check', ...args]);
  const { code } = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

test('mirai up: both backend probes healthy, exit 0, and no session left open', async (t) => {
  const fake = await FakeMirai.start({ verifyKey: KEY, bots: [QQ] });
  t.after(() => fake.stop());
  const config = configFor(fake.url);
  const result = await check(['--config', config]);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  const lines = result.stdout.trimEnd().split('\n');
  assert.deepEqual(lines.map((l) => l.split(/\s+/).slice(0, 2).join(' ')), ['mirai-http healthy', 'mirai-ws healthy', 'healthy (exit']);
  assert.doesNotMatch(result.stdout, new RegExp(KEY), 'the verifyKey is never printed');
  await waitUntil(() => fake.sessions() === 0 && fake.connections().length === 0, 5000);

  const json = JSON.parse((await check(['--config', config, '--json', '--only', 'mirai-ws'])).stdout) as { probes: { probe: string; verdict: string }[] };
  assert.deepEqual(json.probes.map((p) => [p.probe, p.verdict]), [['mirai-ws', 'healthy']]);
});

test('a wrong verifyKey is our config\'s fault: could not check, exit 3', async (t) => {
  const fake = await FakeMirai.start({ verifyKey: KEY, bots: [QQ] });
  t.after(() => fake.stop());
  const result = await check(['--config', configFor(fake.url, 'wrong-key'), '--only', 'mirai-ws']);
  assert.equal(result.code, 3, result.stdout);
  assert.match(result.stdout, /^mirai-ws {2}misconfigured .*refused backend\.verifyKey/m);
  assert.doesNotMatch(result.stdout, /wrong-key/);
});

test('mirai down: unhealthy, exit 1, the reason names the refusal', async () => {
  const fake = await FakeMirai.start({ verifyKey: KEY, bots: [QQ] });
  const url = fake.url;
  await fake.stop();
  const result = await check(['--config', configFor(url)]);
  assert.equal(result.code, 1, result.stdout);
  assert.match(result.stdout, /^mirai-http {2}unhealthy .*refused/m);
});
