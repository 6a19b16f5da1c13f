import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture, runWatchdog } from '../helpers/watchdog-process.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'bw-cli-'));

test('--help describes the commands and exits 0; --version prints the version', async () => {
  const help = runWatchdog(['--help']);
  assert.deepEqual(await help.exited, { code: 0, signal: null });
  assert.match(help.stdout(), /Usage: bot-watchdog/);
  assert.match(help.stdout(), /run \[options\]/);
  const runHelp = runWatchdog(['run', '--help']);
  assert.equal((await runHelp.exited).code, 0);
  assert.match(runHelp.stdout(), /bot-watchdog run -- python3 main\.py/);
  const version = runWatchdog(['--version']);
  assert.equal((await version.exited).code, 0);
  assert.match(version.stdout(), /^\d+\.\d+\.\d+\n$/);
});

test('an unknown option is a usage error: exit 2, one clear line, no stack trace', async () => {
  const run = runWatchdog(['run', '--bogus']);
  assert.equal((await run.exited).code, 2);
  assert.match(run.stderr(), /unknown option '--bogus'/);
  assert.doesNotMatch(run.stderr(), /\n\s+at /);
});

const badConfigs: [string, unknown, RegExp][] = [
  ['bad duration', { restart: { maxDelay: 'fast' } }, /restart\.maxDelay: expected a duration like "30s".*, got "fast"/],
  ['unknown key', { restart: { polcy: 'never' } }, /restart\.polcy: unknown key \(did you mean "policy"\?\)/],
  ['bad policy', { restart: { policy: 'sometimes' } }, /restart\.policy: expected one of/],
  ['bad signal', { stop: { signal: 'TERM' } }, /stop\.signal: expected one of/],
  ['bad jitter', { restart: { jitter: -1 } }, /restart\.jitter: expected a number from 0 to 1, got -1/],
  ['bad limit', { restart: { limit: { count: 1.5 } } }, /restart\.limit\.count: expected a whole number/],
  ['bad log format', { log: { format: 'xml' } }, /log\.format: expected one of "json", "pretty", "auto", got "xml"/],
  ['unset variable', { env: { KEY: '${BW_TEST_SURELY_UNSET}' } }, /env\.KEY: environment variable BW_TEST_SURELY_UNSET is not set/],
  ['bad url', { backend: { kind: 'mirai', url: 'nope', verifyKey: 'k' } }, /backend\.url: expected an http\(s\) URL/],
  ['bad pattern', { probes: { output: { patterns: ['[a-'] } } }, /probes\.output\.patterns\[0\]: invalid regular expression/],
  ['bad env type', { env: ['A=1'] }, /env: expected an object of string values/],
  ['bad cwd type', { cwd: 42 }, /cwd: expected a string, got 42/],
];

for (const [name, extra, expected] of badConfigs) {
  test(`bad config (${name}): one line naming the field, nothing spawned, exit 2`, async () => {
    const dir = tmp();
    const marker = join(dir, 'spawned');
    const config = join(dir, 'watchdog.config.json');
    writeFileSync(config, JSON.stringify({ command: [process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x')`], ...(extra as object) }));
    const run = runWatchdog(['run', '--config', config]);
    assert.equal((await run.exited).code, 2);
    const lines = run.stderr().trimEnd().split('\n');
    assert.equal(lines.length, 1, run.stderr());
    assert.match(lines[0] as string, new RegExp(`^${config.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: `));
    assert.match(lines[0] as string, expected);
    assert.equal(existsSync(marker), false, 'the bot must not be spawned');
  });
}

test('invalid JSON and a missing config file are one-line errors with exit 2', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'watchdog.config.json'), '{ "command": ["x"], }');
  const broken = runWatchdog(['run'], { cwd: dir });
  assert.equal((await broken.exited).code, 2);
  assert.match(broken.stderr(), /^watchdog\.config\.json: invalid JSON: .* at line 1, column \d+\n$/);
  const missing = runWatchdog(['run', '--config', join(dir, 'nope.json')]);
  assert.equal((await missing.exited).code, 2);
  assert.match(missing.stderr(), /nope\.json: cannot read the config: file not found\n$/);
  const none = runWatchdog(['run'], { cwd: tmp() });
  assert.equal((await none.exited).code, 2);
  assert.match(none.stderr(), /command: required/);
});

test('./watchdog.config.json is used when present, and the command after -- overrides its command', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'watchdog.config.json'), JSON.stringify({ command: ['false'], restart: { policy: 'never' }, log: { format: 'json' }, env: { GREETING: 'hi' } }));
  const run = runWatchdog(['--', process.execPath, fixture('bots/env-cwd.mjs')], { cwd: dir });
  await run.waitForStdout(/env-cwd: cwd=.* GREETING=hi marker=set/);
  assert.ok(run.stdout().includes(`cwd=${dir}`));
  run.kill('SIGTERM');
  assert.equal((await run.exited).code, 143);
});

test('the bot\'s stdout and stderr pass through unchanged (colours, UTF-8, partial lines)', async () => {
  // A folder without a watchdog.config.json: the repository's example one watches a Mirai backend.
  const run = runWatchdog(['run', '--log-format', 'json', '--', process.execPath, fixture('bots/echo-output.mjs')], { cwd: tmp() });
  await run.waitForStdout(/partial-no-newline$/);
  await run.waitForEvent('child.spawn');
  assert.equal(run.stdout(), '\x1b[32mgreen 绿色\x1b[0m\nline two\npartial-no-newline');
  run.kill('SIGTERM');
  await run.exited;
  assert.match(run.stderr(), /^to stderr$/m);
});

test('a command that does not exist: one clear error, exit 127, no retry loop', async () => {
  const run = runWatchdog(['run', '--log-format', 'json', '--', 'surely-not-a-command-bw'], { cwd: tmp() });
  assert.equal((await run.exited).code, 127);
  const errors = run.logs().filter((r) => r.event === 'child.error');
  assert.equal(errors.length, 1);
  assert.match(String(errors[0]?.msg), /cannot start the bot/);
  assert.equal(run.logs().filter((r) => r.event === 'restart.scheduled').length, 0);
});

test('a closed stdout (| head) neither blocks the bot nor crashes the watchdog', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'watchdog.config.json'), JSON.stringify({ command: [process.execPath, fixture('bots/flood.mjs')], restart: { policy: 'never' }, log: { format: 'json' } }));
  const run = runWatchdog(['run'], { cwd: dir });
  run.child.stdout?.destroy(); // our reader goes away: the watchdog's writes get EPIPE
  // 512 KiB is more than a pipe holds: a bot whose output is no longer drained would block for ever.
  assert.equal((await run.exited).code, 0, run.stderr());
  assert.equal(run.logs().find((r) => r.event === 'child.exit')?.code, 0);
  assert.equal(run.logs().filter((r) => r.event === 'watchdog.crash').length, 0);
});

test('a cwd that does not exist is a config error (exit 2), not a missing command', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'watchdog.config.json'), JSON.stringify({ command: ['true'], cwd: 'no-such-dir' }));
  const run = runWatchdog(['run'], { cwd: dir });
  assert.equal((await run.exited).code, 2);
  assert.match(run.stderr(), /^watchdog\.config\.json: cwd: directory not found: .*no-such-dir\n$/);
});

test('config errors never echo a secret: not the value, not an excerpt of the JSON', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'a.json'), JSON.stringify({ command: ['true'], backend: { kind: 'mirai', url: 'http://127.0.0.1:1', verifyKey: 12345678901 } }));
  writeFileSync(join(dir, 'b.json'), '{"command":["true"],"backend":{"kind":"mirai","verifyKey":hunter2secret}}');
  for (const [file, secret] of [['a.json', '12345678901'], ['b.json', 'hunter2secret']] as const) {
    const run = runWatchdog(['run', '--config', join(dir, file)]);
    assert.equal((await run.exited).code, 2);
    assert.ok(!run.stderr().includes(secret), run.stderr());
  }
});
