// Fault matrix: every kind of config mistake, one table. Each bad config: exit 2, nothing spawned,
// one line on stderr that starts with the config file and names the field (or what is wrong with
// the file), no stack trace. Kinds already in test/cli/cli.test.ts (bad duration string, typo'd
// key, policy, signal, jitter, a fractional count, log format, unset variable, bad backend URL,
// invalid regex, env and cwd types), test/config/hostile-config.test.ts (ports, Object.prototype
// names, over 1 MiB, /dev/zero) and test/cli/secrets.test.ts (credentials in URLs) are not repeated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runWatchdog } from '../helpers/watchdog-process.js';
import { tempDir } from './fault-helpers.js';

type Row = [kind: string, content: string | Buffer | ((spawnMarker: string) => unknown), message: RegExp];

const withCommand = (extra: Record<string, unknown>) => (marker: string) => ({
  command: [process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x')`],
  ...extra,
});

const rows: Row[] = [
  ['empty file', '', /invalid JSON: Unexpected end of JSON input/],
  ['a trailing comma', '{"command": ["x"],}', /invalid JSON: .* at line 1, column \d+/],
  ['not UTF-8 text (a BOM of UTF-16)', Buffer.from([0xff, 0xfe, 0x7b, 0x7d]), /invalid JSON/],
  ['a list at the top level', '[]', /expected a JSON object at the top level, got a list/],
  ['a string at the top level', '"python3 main.py"', /expected a JSON object at the top level, got "python3 main\.py"/],
  ['no command', '{}', /command: required: set "command" in the config/],
  ['an empty command', '{"command": []}', /command: expected at least the program to run, got \[\]/],
  ['a command as one string', '{"command": "python3 main.py"}', /command: expected the bot's argv as a list of strings/],
  ['a typo at the top level', withCommand({ comand: ['y'] }), /comand: unknown key \(did you mean "command"\?\)/],
  ['an unknown backend kind', withCommand({ backend: { kind: 'qq' } }), /backend\.kind: expected one of "mirai", .*got "qq"/],
  ['mirai without verifyKey', withCommand({ backend: { kind: 'mirai', url: 'http://127.0.0.1:8080' } }), /backend\.verifyKey: required when backend\.kind is "mirai"/],
  ['http backend without url', withCommand({ backend: { kind: 'http' } }), /backend\.url: required when backend\.kind is "http"/],
  ['a secret of the wrong type (not echoed)', withCommand({ backend: { kind: 'onebot', url: 'ws://127.0.0.1:1', accessToken: 123456 } }), /backend\.accessToken: expected a string \(value not shown: it is a secret\)/],
  ['a reverse-WebSocket listen open to the network without a token', withCommand({ backend: { kind: 'onebot-reverse', listen: '0.0.0.0:6700' } }), /backend\.accessToken: required when backend\.listen .* is not a loopback address/],
  ['a heartbeat probe without file', withCommand({ probes: { heartbeat: { maxAge: '10s' } } }), /probes\.heartbeat\.file: required/],
  ['a zero maxAge', withCommand({ probes: { heartbeat: { file: 'a.log', maxAge: 0 } } }), /probes\.heartbeat\.maxAge: expected a duration greater than 0, got 0/],
  ['a negative duration', withCommand({ stop: { timeout: '-5s' } }), /stop\.timeout: expected a duration like "30s".*got "-5s"/],
  ['maxDelay under initialDelay', withCommand({ restart: { initialDelay: '1h', maxDelay: '1s' } }), /restart\.maxDelay: expected at least restart\.initialDelay/],
  ['a negative count', withCommand({ restart: { limit: { count: -1 } } }), /restart\.limit\.count: expected a whole number >= 0, got -1/],
  ['a bad cron expression', withCommand({ restart: { schedule: '99 99 * * *' } }), /restart\.schedule: expected a cron expression like "0 4 \* \* \*"/],
  ['a schedule firing every second', withCommand({ restart: { schedule: '* * * * * *' } }), /restart\.schedule: fires every 1s .*: planned restarts must be at least 10m apart/],
  ['a pattern RE2 cannot run', withCommand({ probes: { output: { patterns: ['(?=a)b'] } } }), /probes\.output\.patterns\[0\]: lookahead .* is not supported \(patterns run on RE2/],
  ['a bad status listen address', withCommand({ status: { listen: 'nowhere:abc' } }), /status\.listen: expected "host:port"/],
  ['a hook without events', withCommand({ hooks: [{ url: 'https://example.com/hook' }] }), /hooks\[0\]\.on: required/],
  ['a hook on an unknown event', withCommand({ hooks: [{ on: ['no.such'], command: ['true'] }] }), /hooks\[0\]\.on\[0\]: expected a log event name or "\*", got "no\.such"/],
  ['a hook URL that is not http(s)', withCommand({ hooks: [{ on: ['child.exit'], url: 'ftp://example.com/x' }] }), /hooks\[0\]\.url: expected an http\(s\) URL/],
  ['a wrong type deep down', withCommand({ state: { file: 42 } }), /state\.file: expected a string, got 42/],
  ['a bad log level', withCommand({ log: { level: 'loud' } }), /log\.level: expected one of "trace", .*got "loud"/],
];

for (const [kind, content, message] of rows) {
  test(`config mistake (${kind}): exit 2, one line naming it, nothing spawned, no stack trace`, async (t) => {
    const dir = tempDir(t);
    const marker = join(dir, 'spawned');
    const config = join(dir, 'watchdog.config.json');
    writeFileSync(config, typeof content === 'function' ? JSON.stringify(content(marker)) : content);
    const run = runWatchdog(['run', '--config', config]);
    assert.equal((await run.exited).code, 2);
    const lines = run.stderr().trimEnd().split('\n');
    assert.equal(lines.length, 1, run.stderr());
    assert.ok(lines[0]!.startsWith(`${config}: `), lines[0]);
    assert.match(lines[0]!, message);
    assert.doesNotMatch(run.stderr(), /\n\s+at /);
    assert.equal(run.stdout(), '');
    assert.equal(existsSync(marker), false, 'the bot must not be spawned');
  });
}

test('config mistake (a folder given as --config): exit 2, one line, nothing spawned', async (t) => {
  const dir = tempDir(t);
  const run = runWatchdog(['run', '--config', dir]);
  const { code } = await run.exited;
  const lines = run.stderr().trimEnd().split('\n');
  assert.equal(lines.length, 1, run.stderr());
  assert.equal(lines[0], `${dir}: cannot read the config: is a directory`);
  assert.equal(code, 2, `a config that cannot be read is a config error: exit 2 (got ${code})`);
});
