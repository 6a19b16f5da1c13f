// Secrets outside the log: a backend that echoes the verifyKey in an error message, and URLs
// with credentials. Nothing stored (state file, config cache) or printed (check, status, in text
// and --json) may carry them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sampleState } from '../state/sample-state.js';
import { waitUntil } from '../helpers/wait.js';
import { fixture, runWatchdog } from '../helpers/watchdog-process.js';

const KEY = 'Kx7SecretVerifyKey';
const TOKEN = 'obTok3n42';
/** Credentials nobody configured, echoed by the backend too. */
const FOREIGN = ['pw9secret', 'tk9secret'];
const LEAKS = [KEY, TOKEN, ...FOREIGN];

/** A "mirai" whose every answer is an error that echoes the key and a credential URL (under 80 characters). */
async function echoingBackend(): Promise<{ url: string; server: Server }> {
  const server = createServer((_request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ code: 500, msg: `bad key ${KEY} http://adm:${FOREIGN[0]}@h/?access_token=${FOREIGN[1]}` }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

function project(config: Record<string, unknown>): { dir: string; config: string; stateFile: string } {
  const dir = mkdtempSync(join(tmpdir(), 'bw-secrets-'));
  const file = join(dir, 'watchdog.config.json');
  writeFileSync(file, JSON.stringify({ command: [process.execPath, fixture('bots/healthy.mjs')], log: { format: 'json' }, ...config }));
  return { dir, config: file, stateFile: join(dir, '.bot-watchdog', 'state.json') };
}

function assertClean(text: string, where: string): void {
  for (const secret of LEAKS) assert.ok(!text.includes(secret), `${where} leaks ${secret}:\n${text}`);
}

async function cli(args: string[]) {
  const run = runWatchdog(args);
  const { code } = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

test('check: an echoed verifyKey and credential URLs are scrubbed from text and --json output', async (t) => {
  const backend = await echoingBackend();
  t.after(() => backend.server.close());
  const { config } = project({ backend: { kind: 'mirai', url: backend.url, verifyKey: KEY, qq: 1 }, probes: { websocket: { enabled: false } } });
  const text = await cli(['check', '--config', config, '--only', 'mirai-http']);
  assert.equal(text.code, 1, text.stdout + text.stderr);
  assert.match(text.stdout, /^mirai-http +unhealthy .*mirai answered code 500 to GET \/about: bad key \[redacted\] http:\/\/\[redacted\]@h\/\?access_token=\[redacted\]/m);
  assertClean(text.stdout + text.stderr, 'check');
  const json = await cli(['check', '--config', config, '--only', 'mirai-http', '--json']);
  const report = JSON.parse(json.stdout) as { probes: { reason: string }[] };
  assert.match(report.probes[0]!.reason, /bad key \[redacted\]/);
  assertClean(json.stdout + json.stderr, 'check --json');
});

test('check --on-unhealthy: the action\'s environment gets the scrubbed reason', async (t) => {
  const backend = await echoingBackend();
  t.after(() => backend.server.close());
  const { dir, config } = project({ backend: { kind: 'mirai', url: backend.url, verifyKey: KEY, qq: 1 }, probes: { websocket: { enabled: false } } });
  const result = await cli([
    'check', '--config', config, '--only', 'mirai-http', '--state', join(dir, 'check.json'), '--on-unhealthy', 'echo "reason: $BOT_WATCHDOG_CHECK_REASON"',
  ]);
  assert.equal(result.code, 1);
  assert.match(result.stdout, /> reason: mirai-http: mirai answered code 500 to GET \/about: bad key \[redacted\]/);
  assertClean(result.stdout + result.stderr + readFileSync(join(dir, 'check.json'), 'utf8'), 'check --on-unhealthy');
});

test('run: probe reasons are scrubbed before they reach state.json; status prints them scrubbed', async (t) => {
  const backend = await echoingBackend();
  t.after(() => backend.server.close());
  const { config, stateFile } = project({
    backend: { kind: 'mirai', url: backend.url, verifyKey: KEY, qq: 1 },
    probes: { websocket: { enabled: false }, backend: { interval: '200ms' } },
  });
  const run = runWatchdog(['run', '--config', config]);
  try {
    await run.waitForEvent('probe.failed');
    await waitUntil(() => existsSync(stateFile) && readFileSync(stateFile, 'utf8').includes('mirai-http'), 10_000);
    const stored = readFileSync(stateFile, 'utf8');
    assert.match(stored, /bad key \[redacted\]/);
    assertClean(stored, 'state.json');
    for (const args of [[], ['--json']]) {
      const status = await cli(['status', '--config', config, ...args]);
      assert.equal(status.code, 0, status.stderr);
      assertClean(status.stdout + status.stderr, `status ${args.join(' ')}`);
    }
    assertClean(run.stderr(), 'the log');
  } finally {
    run.kill('SIGTERM');
    await run.exited;
  }
});

test('status: a state file that still holds secrets (an older watchdog wrote it) is printed scrubbed', async () => {
  const { config, stateFile } = project({ backend: { kind: 'onebot', url: 'http://127.0.0.1:5700', accessToken: TOKEN } });
  mkdirSync(join(stateFile, '..'), { recursive: true });
  const state = sampleState({ state: 'stopped', bot: { ...sampleState().bot!, command: ['python3', 'bot.py', `--token=${TOKEN}`] } });
  state.probes['onebot-http'] = {
    verdict: 'unhealthy',
    reason: `echo ${TOKEN} from ws://u:${FOREIGN[0]}@h/?access_token=${FOREIGN[1]}`,
    at: state.updatedAt,
    since: state.updatedAt,
  };
  state.lastRestart = { reason: `odd ${TOKEN}`, at: state.updatedAt };
  writeFileSync(stateFile, JSON.stringify(state));
  for (const args of [[], ['--json']]) {
    const status = await cli(['status', '--config', config, ...args]);
    assert.equal(status.code, 3, status.stderr);
    assert.match(status.stdout, /echo \[redacted\] from ws:\/\/\[redacted\]@h\/\?access_token=\[redacted\]/);
    assertClean(status.stdout + status.stderr, `status ${args.join(' ')}`);
  }
});

test('status and check never echo a URL with credentials (nor any configured secret)', async () => {
  const { config } = project({
    backend: { kind: 'http', url: `http://adm:${FOREIGN[0]}@127.0.0.1:1/health?access_token=${FOREIGN[1]}` },
  });
  const status = await cli(['status', '--config', config]);
  assert.equal(status.code, 3, status.stderr);
  assertClean(status.stdout + status.stderr, 'status');
  // check still probes the right URL.
  const check = await cli(['check', '--config', config, '--json']);
  const report = JSON.parse(check.stdout) as { probes: { probe: string; verdict: string; reason: string }[] };
  assert.deepEqual(report.probes.map((p) => [p.probe, p.verdict]), [['http', 'unhealthy']]);
  assert.match(report.probes[0]!.reason, /refused/);
  assertClean(check.stdout + check.stderr, 'check');
});

test('a config error about a URL does not echo its credentials', async () => {
  const { config } = project({ backend: { kind: 'http', url: `http://adm:${FOREIGN[0]}@127.0.0.1:0/` } });
  const result = await cli(['run', '--config', config]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /backend\.url: expected a port from 1 to 65535, got "http:\/\/\[redacted\]@127\.0\.0\.1:0\/"/);
  assertClean(result.stderr, 'the config error');
});
