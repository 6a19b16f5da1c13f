import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HookRunner, type HookSpec } from '../../src/hooks/hook-runner.js';
import { postUrlHook } from '../../src/hooks/post-url-hook.js';
import { runCommandHook } from '../../src/hooks/run-command-hook.js';
import { createRedactor } from '../../src/log/redact.js';
import { fixture } from '../helpers/watchdog-process.js';
import { waitUntil } from '../helpers/wait.js';
import { HttpSink } from './http-sink.js';
import { alive } from '../helpers/alive.js';

const node = process.execPath;
const SECRET = 'VerY-SecreT-key-42';

interface Logged {
  fields: Record<string, unknown>;
  message: string;
}

function runner(hooks: HookSpec[], options: { concurrency?: number; queueLimit?: number } = {}) {
  const logged: Logged[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'bw-hooks-'));
  const hookRunner = new HookRunner({
    hooks,
    redact: createRedactor([SECRET]),
    logger: { emit: (event, fields, message) => logged.push({ fields: { ...fields, event }, message }) },
    effects: {
      runCommand: (run) => runCommandHook({ ...run, cwd: dir }),
      postUrl: (run) => postUrlHook({ ...run, userAgent: 'bot-watchdog/test' }),
    },
    ...options,
  });
  return { runner: hookRunner, logged, dir, failed: () => logged.filter((l) => l.fields['event'] === 'hook.failed') };
}

function lines(file: string): Array<{ pid: number; env: Record<string, string>; stdin: string }> {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { pid: number; env: Record<string, string>; stdin: string });
}

test('a command hook gets the event in BOT_WATCHDOG_* and as one JSON line on stdin, secrets scrubbed', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'bw-hook-out-')), 'calls.jsonl');
  const { runner: hooks, failed } = runner([{ on: ['child.stop'], command: [node, fixture('hooks/record.mjs'), out], timeout: 10_000 }]);
  hooks.handle({
    event: 'child.stop',
    level: 'info',
    msg: `stopping the bot: mirai answered with key ${SECRET}`,
    pid: 4242,
    reason: 'link-lost',
    closeCode: 1006,
    evidence: { url: `ws://127.0.0.1:8080/all?verifyKey=${SECRET}` },
    verifyKey: SECRET,
    err: new Error(`boom ${SECRET}`),
  });
  hooks.handle({ event: 'child.spawn', level: 'info', pid: 1 }); // not listened to
  const [call] = await waitUntil(() => (lines(out).length > 0 ? lines(out) : undefined), 10_000);
  assert.ok(call);
  assert.equal(call.env['BOT_WATCHDOG_EVENT'], 'child.stop');
  assert.equal(call.env['BOT_WATCHDOG_REASON'], 'link-lost');
  assert.equal(call.env['BOT_WATCHDOG_PID'], '4242');
  assert.equal(call.env['BOT_WATCHDOG_CLOSE_CODE'], '1006');
  assert.equal(call.env['BOT_WATCHDOG_LEVEL'], 'info');
  assert.ok(call.stdin.endsWith('\n') && call.stdin.indexOf('\n') === call.stdin.length - 1, 'exactly one line');
  const payload = JSON.parse(call.stdin) as Record<string, unknown>;
  assert.equal(payload['event'], 'child.stop');
  assert.equal(payload['reason'], 'link-lost');
  assert.equal(payload['pid'], 4242);
  assert.deepEqual(payload['err'], { type: 'Error', message: 'boom [redacted]' });
  assert.ok(!call.stdin.includes(SECRET), call.stdin);
  assert.ok(!JSON.stringify(call.env).includes(SECRET));
  await hooks.drain(5000);
  assert.equal(lines(out).length, 1, 'child.spawn ran no hook');
  assert.deepEqual(failed(), []);
  assert.equal(hooks.stats().succeeded, 1);
});

test('a url hook gets the event JSON by POST; "*" matches every event but the runner\'s own', async () => {
  const sink = await HttpSink.start();
  try {
    const { runner: hooks, failed } = runner([{ on: ['*'], url: `${sink.url}/notify`, timeout: 5000 }]);
    hooks.handle({ event: 'restart.giveup', level: 'error', msg: 'gave up', restarts: 10, window: 1_800_000, token: SECRET });
    hooks.handle({ event: 'hook.failed', level: 'warn', msg: 'not for hooks' });
    await hooks.drain(5000);
    assert.equal(sink.received.length, 1);
    const [request] = sink.received;
    assert.equal(request?.path, '/notify');
    assert.match(String(request?.headers['content-type']), /^application\/json/);
    assert.equal(request?.headers['user-agent'], 'bot-watchdog/test');
    const body = JSON.parse(request?.body ?? '') as Record<string, unknown>;
    assert.deepEqual(
      { event: body['event'], restarts: body['restarts'], window: body['window'], token: body['token'] },
      { event: 'restart.giveup', restarts: 10, window: 1_800_000, token: '[redacted]' },
    );
    assert.deepEqual(failed(), []);
  } finally {
    await sink.stop();
  }
});

test('a hanging command hook is killed with its group at its timeout, logged, and blocks no other hook', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-hook-hang-'));
  const hangOut = join(dir, 'hang.jsonl');
  const quickOut = join(dir, 'quick.jsonl');
  const { runner: hooks, failed } = runner(
    [
      { on: ['backend.down'], command: [node, fixture('hooks/record.mjs'), hangOut, 'hang'], timeout: 800 },
      { on: ['backend.down', 'backend.ready'], command: [node, fixture('hooks/record.mjs'), quickOut], timeout: 10_000 },
    ],
    { concurrency: 2 },
  );
  const started = performance.now();
  hooks.handle({ event: 'backend.down', level: 'warn', probe: 'mirai-ws' });
  assert.ok(performance.now() - started < 50, 'handle() returns at once');
  const [hanging] = await waitUntil(() => (lines(hangOut).length > 0 ? lines(hangOut) : undefined), 10_000);
  assert.ok(hanging && alive(hanging.pid), 'the hook is running');
  // While it hangs, the other hook runs its two events.
  hooks.handle({ event: 'backend.ready', level: 'info' });
  await waitUntil(() => lines(quickOut).length === 2, 10_000);
  await waitUntil(() => failed().length === 1, 10_000);
  const [entry] = failed();
  assert.equal(entry?.fields['hook'], 0);
  assert.equal(entry?.fields['for'], 'backend.down');
  assert.equal(entry?.fields['timedOut'], true);
  assert.match(String(entry?.fields['reason']), /no exit within 800ms: killed/);
  await waitUntil(() => !alive(hanging.pid), 5000);
  await hooks.drain(5000);
});

test('a failing or missing command is logged with its exit code and last line', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'bw-hook-fail-')), 'calls.jsonl');
  const { runner: hooks, failed } = runner([
    { on: ['child.exit'], command: [node, fixture('hooks/record.mjs'), out, 'fail'], timeout: 10_000 },
    { on: ['child.exit'], command: ['./no-such-notify.sh'], timeout: 10_000 },
  ]);
  hooks.handle({ event: 'child.exit', level: 'info', code: 1 });
  await hooks.drain(10_000);
  const reasons = failed()
    .map((l) => [l.fields['hook'], l.fields['command'], l.fields['reason']])
    .sort((a, b) => Number(a[0]) - Number(b[0]));
  assert.deepEqual(reasons, [
    [0, node, 'exit code 3: notify: the group is muted'],
    [1, './no-such-notify.sh', './no-such-notify.sh: command not found'],
  ]);
});

test('a url that never answers times out; the logged url has no user, password, query or token path', async () => {
  const sink = await HttpSink.start();
  sink.mode = 'hang';
  try {
    const base = new URL(sink.url);
    const url = `http://ops:hunter2@${base.host}/hooks/AbCdEfGhIjKlMnOpQrSt123/notify?token=t0ps3cret&chat=42`;
    const { runner: hooks, failed } = runner([{ on: ['child.stop'], url, timeout: 500 }]);
    hooks.handle({ event: 'child.stop', level: 'info', reason: 'output-match' });
    await waitUntil(() => failed().length === 1, 10_000);
    const [entry] = failed();
    assert.equal(entry?.fields['timedOut'], true);
    assert.equal(entry?.fields['url'], `http://[redacted]@${base.host}/hooks/[redacted]/notify?token=[redacted]&chat=[redacted]`);
    const text = JSON.stringify(entry);
    for (const secret of ['hunter2', 'ops:', 't0ps3cret', 'AbCdEfGhIjKlMnOpQrSt123']) assert.ok(!text.includes(secret), `${secret} in ${text}`);
    // Basic authentication from the URL's user info reached the server.
    assert.equal(sink.received[0]?.headers['authorization'], `Basic ${Buffer.from('ops:hunter2').toString('base64')}`);
    await hooks.drain(2000);
  } finally {
    await sink.stop();
  }
});

test('a url answering an error status or refusing the connection is logged', async () => {
  const sink = await HttpSink.start();
  sink.mode = 503;
  const refused = await HttpSink.start();
  const refusedUrl = refused.url;
  await refused.stop();
  try {
    const { runner: hooks, failed } = runner([
      { on: ['watchdog.exit'], url: sink.url, timeout: 5000 },
      { on: ['watchdog.exit'], url: refusedUrl, timeout: 5000 },
    ]);
    hooks.handle({ event: 'watchdog.exit', level: 'info', code: 3 });
    await hooks.drain(5000);
    const reasons = failed()
      .map((l) => [l.fields['hook'], l.fields['reason']])
      .sort((a, b) => Number(a[0]) - Number(b[0]));
    assert.deepEqual(reasons, [
      [0, 'HTTP 503'],
      [1, 'connection refused'],
    ]);
  } finally {
    await sink.stop();
  }
});

test('a flood: at most `concurrency` run at once, the queue keeps the newest, drops are counted and logged once', async () => {
  const sink = await HttpSink.start();
  sink.delayMs = 20;
  try {
    const { runner: hooks, logged } = runner([{ on: ['*'], url: sink.url, timeout: 5000 }], { concurrency: 2, queueLimit: 10 });
    const started = performance.now();
    for (let i = 0; i < 1000; i++) hooks.handle({ event: 'probe.failed', level: 'warn', seq: i });
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 1000, `1000 handle() calls took ${elapsed}ms`);
    // handle() only queues: the runs start on the next turn of the event loop.
    const stats = hooks.stats();
    assert.equal(stats.running, 0);
    assert.equal(stats.queued, 10);
    assert.equal(stats.dropped, 990);
    await hooks.drain(10_000);
    assert.equal(sink.received.length, 10);
    assert.ok(sink.maxInFlight <= 2, `max in flight ${sink.maxInFlight}`);
    const seqs = sink.received.map((r) => (JSON.parse(r.body) as { seq: number }).seq).sort((a, b) => a - b);
    assert.deepEqual(seqs, [990, 991, 992, 993, 994, 995, 996, 997, 998, 999]);
    const drops = logged.filter((l) => l.fields['event'] === 'hook.dropped');
    assert.equal(drops.length, 1);
    assert.equal(drops[0]?.fields['dropped'], 990);
  } finally {
    await sink.stop();
  }
});

test('drain waits for running hooks, then kills what is left; later records are ignored', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'bw-hook-drain-')), 'calls.jsonl');
  const { runner: hooks } = runner([{ on: ['watchdog.exit'], command: [node, fixture('hooks/record.mjs'), out, 'hang'], timeout: 60_000 }]);
  hooks.handle({ event: 'watchdog.exit', level: 'info', code: 0 });
  const [call] = await waitUntil(() => (lines(out).length > 0 ? lines(out) : undefined), 10_000);
  assert.ok(call);
  const started = performance.now();
  await hooks.drain(300);
  assert.ok(performance.now() - started < 5000);
  await waitUntil(() => !alive(call.pid), 5000);
  hooks.handle({ event: 'watchdog.exit', level: 'info', code: 0 });
  assert.equal(hooks.stats().queued, 0);
});

test('a hook that leaves a background child holding its output pipe succeeds when its own process exits', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-hook-bg-'));
  const pidFile = join(dir, 'daemon.pid');
  let daemon = 0;
  try {
    const started = Date.now();
    const outcome = await runCommandHook({
      command: ['sh', '-c', `sleep 1000 & echo $! > ${pidFile}; echo ok`],
      cwd: dir,
      env: {},
      input: '{}\n',
      timeoutMs: 30_000,
    });
    daemon = Number(readFileSync(pidFile, 'utf8'));
    assert.deepEqual(outcome, { ok: true });
    assert.ok(Date.now() - started < 20_000);
    assert.ok(alive(daemon), 'the background child is not the hook');
  } finally {
    if (daemon) process.kill(daemon, 'SIGKILL');
  }
});

test('a matched line with a NUL byte: the hook runs, its env drops the NUL, the JSON on stdin carries the line intact', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'bw-hook-nul-')), 'calls.jsonl');
  const { runner: hooks, failed } = runner([{ on: ['child.stop'], command: [node, fixture('hooks/record.mjs'), out], timeout: 10_000 }]);
  const line = 'FATAL\u0000 disconnected \u0001\u00ff';
  hooks.handle({ event: 'child.stop', level: 'info', reason: 'output-match', line });
  await hooks.drain(10_000);
  assert.deepEqual(failed(), []);
  const [call] = lines(out);
  assert.equal(call?.env['BOT_WATCHDOG_LINE'], 'FATAL disconnected \u0001\u00ff');
  assert.equal((JSON.parse(call!.stdin) as { line: string }).line, line);
  assert.match(call!.stdin, /FATAL\\u0000 disconnected/);
});
