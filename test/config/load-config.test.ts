import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/config/config-error.js';
import { loadConfig, resolveConfig } from '../../src/config/load-config.js';
import { parseDuration } from '../../src/config/duration.js';
import { expandString } from '../../src/config/env-expand.js';

function problems(raw: unknown, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    resolveConfig(raw, { env });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.problems;
  }
  assert.fail('expected the config to be rejected');
}

test('defaults from the issue', () => {
  const config = resolveConfig({ command: ['python3', 'main.py'] }, { cwd: '/srv/bot' });
  assert.deepEqual(config.restart, {
    policy: 'always',
    initialDelay: 1000,
    maxDelay: 300_000,
    factor: 2,
    jitter: 0.2,
    resetAfter: 600_000,
    limit: { count: 10, window: 1_800_000 },
    flapping: { count: 3, window: 600_000, delay: 10_000, maxDelay: 300_000 },
  });
  assert.deepEqual(config.stop, { signal: 'SIGTERM', timeout: 10_000, hungTimeout: 3000 });
  assert.deepEqual(config.log, { level: 'info', format: 'auto' });
  assert.equal(config.backend.kind, 'none');
  assert.deepEqual(config.probes.backend, { interval: 5000, timeout: 3000, failureThreshold: 3 });
  assert.equal(config.probes.websocket.enabled, false);
  assert.deepEqual(config.startup, { waitForBackend: true, timeout: 0, grace: 60_000 });
  assert.equal(config.cwd, '/srv/bot');
  assert.equal(config.state.file, '/srv/bot/.bot-watchdog/state.json');
});

test('durations accept "500ms", "10s", "5m", "1h" and milliseconds', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('10s'), 10_000);
  assert.equal(parseDuration('5m'), 300_000);
  assert.equal(parseDuration('1h'), 3_600_000);
  assert.equal(parseDuration('1.5s'), 1500);
  assert.equal(parseDuration(250), 250);
  assert.equal(parseDuration('250'), 250);
  assert.equal(parseDuration('fast'), undefined);
  assert.equal(parseDuration(-1), undefined);
  const config = resolveConfig({ command: ['x'], restart: { initialDelay: '500ms', maxDelay: '5m' }, stop: { timeout: 2500 } });
  assert.equal(config.restart.initialDelay, 500);
  assert.equal(config.stop.timeout, 2500);
});

test('${VAR} reads the environment; ${VAR:-x} has a fallback; $${ is literal', () => {
  const env = { MIRAI_KEY: 'k3y', BOT_DIR: '/opt/bot' };
  const config = resolveConfig(
    {
      command: ['python3', '${BOT_DIR}/main.py'],
      backend: { kind: 'mirai', url: 'http://${MIRAI_HOST:-127.0.0.1}:8080', verifyKey: '${MIRAI_KEY}' },
      env: { LITERAL: 'cost $${HOME}' },
    },
    { env },
  );
  assert.deepEqual(config.command, ['python3', '/opt/bot/main.py']);
  assert.equal(config.backend.url, 'http://127.0.0.1:8080');
  assert.equal(config.backend.verifyKey, 'k3y');
  assert.equal(config.env.LITERAL, 'cost ${HOME}');
  assert.equal(expandString('${A:-}', {}), '');
});

test('the command after -- overrides the config', () => {
  const config = resolveConfig({ command: ['python3', 'main.py'] }, { command: ['node', 'bot.js'] });
  assert.deepEqual(config.command, ['node', 'bot.js']);
});

test('websocket probing defaults on for mirai and onebot', () => {
  const mirai = resolveConfig({ command: ['x'], backend: { kind: 'mirai', url: 'http://127.0.0.1:8080', verifyKey: 'k' } });
  assert.equal(mirai.probes.websocket.enabled, true);
  const http = resolveConfig({ command: ['x'], backend: { kind: 'http', url: 'http://127.0.0.1:8080' } });
  assert.equal(http.probes.websocket.enabled, false);
});

const bad: [string, unknown, RegExp][] = [
  ['a duration that is not one', { command: ['x'], restart: { maxDelay: 'fast' } }, /^watchdog\.config\.json: restart\.maxDelay: expected a duration like "30s".*, got "fast"$/],
  ['an unknown key, with a suggestion', { command: ['x'], restart: { polcy: 'always' } }, /^watchdog\.config\.json: restart\.polcy: unknown key \(did you mean "policy"\?\)$/],
  ['an unknown top-level key', { command: ['x'], backnd: {} }, /^watchdog\.config\.json: backnd: unknown key \(did you mean "backend"\?\)$/],
  ['a command as one string', { command: 'python3 main.py' }, /^watchdog\.config\.json: command: expected the bot's argv as a list of strings.*, got "python3 main.py"$/],
  ['an empty command', { command: [] }, /^watchdog\.config\.json: command: expected at least the program to run, got \[\]$/],
  ['an unknown policy', { command: ['x'], restart: { policy: 'sometimes' } }, /^watchdog\.config\.json: restart\.policy: expected one of "always", "on-failure", "never", got "sometimes"$/],
  ['a signal without SIG', { command: ['x'], stop: { signal: 'TERM' } }, /^watchdog\.config\.json: stop\.signal: expected one of "SIGTERM".*, got "TERM"$/],
  ['jitter out of range', { command: ['x'], restart: { jitter: 2 } }, /^watchdog\.config\.json: restart\.jitter: expected a number from 0 to 1, got 2$/],
  ['a negative limit', { command: ['x'], restart: { limit: { count: -1 } } }, /^watchdog\.config\.json: restart\.limit\.count: expected a whole number >= 0, got -1$/],
  ['a factor below 1', { command: ['x'], restart: { factor: 0.5 } }, /^watchdog\.config\.json: restart\.factor: expected a number >= 1, got 0\.5$/],
  ['maxDelay below initialDelay', { command: ['x'], restart: { initialDelay: '10s', maxDelay: '1s' } }, /^watchdog\.config\.json: restart\.maxDelay: expected at least restart\.initialDelay \(10000ms\), got 1000$/],
  ['a number where a string belongs', { command: ['x'], env: { A: 1 } }, /^watchdog\.config\.json: env\.A: expected a string, got 1$/],
  ['an unset environment variable', { command: ['x'], backend: { kind: 'mirai', url: 'http://h:1', verifyKey: '${NOPE}' } }, /^watchdog\.config\.json: backend\.verifyKey: environment variable NOPE is not set$/],
  ['mirai without a url', { command: ['x'], backend: { kind: 'mirai', verifyKey: 'k' } }, /^watchdog\.config\.json: backend\.url: required when backend\.kind is "mirai"$/],
  ['a url that is not http', { command: ['x'], backend: { kind: 'onebot', url: 'localhost:5700' } }, /^watchdog\.config\.json: backend\.url: expected an http\(s\) URL.*, got "localhost:5700"$/],
  ['a tcp backend without tcp://', { command: ['x'], backend: { kind: 'tcp', url: 'http://h:1' } }, /^watchdog\.config\.json: backend\.url: expected "tcp:\/\/host:port", got "http:\/\/h:1"$/],
  ['an invalid output pattern', { command: ['x'], probes: { output: { patterns: ['ok', '(unclosed'] } } }, /^watchdog\.config\.json: probes\.output\.patterns\[1\]: invalid regular expression .*, got "\(unclosed"$/],
  ['a heartbeat without its file', { command: ['x'], probes: { heartbeat: { maxAge: '30s' } } }, /^watchdog\.config\.json: probes\.heartbeat\.file: required$/],
  ['a link probe with nothing to watch', { command: ['x'], probes: { link: {} } }, /^watchdog\.config\.json: probes\.link\.target: required when backend\.kind is "none"/],
  ['a listen port out of range', { command: ['x'], probes: { link: { listen: 70000 } } }, /^watchdog\.config\.json: probes\.link\.listen: expected a port \(1-65535\) or "host:port".*, got 70000$/],
  ['a listen "host:port" with a bad port', { command: ['x'], probes: { link: { listen: '127.0.0.1:http' } } }, /^watchdog\.config\.json: probes\.link\.listen: expected a port .*, got "127\.0\.0\.1:http"$/],
  ['a listen host that is not an address', { command: ['x'], probes: { link: { listen: 'napcat:2280' } } }, /^watchdog\.config\.json: probes\.link\.listen: expected a port .* with an IP address or localhost/],
  ['a listen that is neither port nor string', { command: ['x'], probes: { link: { listen: true } } }, /^watchdog\.config\.json: probes\.link\.listen: expected a port like 2280 or "host:port", got true$/],
  ['a stall shorter than the sampling interval', { command: ['x'], probes: { link: { listen: 2280, stall: '1s' } } }, /^watchdog\.config\.json: probes\.link\.stall: expected at least probes\.link\.interval \(2000ms\), or 0 for off/],
  ['a stall that is not a duration', { command: ['x'], probes: { link: { listen: 2280, stall: 'soon' } } }, /^watchdog\.config\.json: probes\.link\.stall: expected a duration/],
  ['a qq that is not a number', { command: ['x'], backend: { kind: 'mirai', url: 'http://h:1', verifyKey: 'k', qq: '12345' } }, /^watchdog\.config\.json: backend\.qq: expected the bot's QQ number, got "12345"$/],
  ['no command anywhere', {}, /^watchdog\.config\.json: command: required/],
  ['not an object', [1, 2], /^watchdog\.config\.json: expected a JSON object at the top level, got a list$/],
];

for (const [name, raw, expected] of bad) {
  test(`bad config: ${name}`, () => {
    const lines = problems(raw);
    assert.equal(lines.length, 1, `one line expected, got:\n${lines.join('\n')}`);
    assert.match(lines[0] as string, expected);
  });
}

test('probes.link.listen: a port or "host:port", alone or beside a target; stall off unless set', () => {
  const listenOnly = resolveConfig({ command: ['x'], probes: { link: { listen: 2280 } } });
  assert.equal(listenOnly.probes.link?.listen, 2280);
  assert.equal(listenOnly.probes.link?.stall, 0, 'off by default');
  const both = resolveConfig({ command: ['x'], probes: { link: { listen: '127.0.0.1:2280', target: '127.0.0.1:8080', stall: '20s' } } });
  assert.equal(both.probes.link?.listen, '127.0.0.1:2280');
  assert.equal(both.probes.link?.stall, 20_000);
  assert.equal(resolveConfig({ command: ['x'], probes: { link: { listen: '[::1]:5140', stall: 0 } } }).probes.link?.stall, 0);
});

test('several problems give one line each', () => {
  const lines = problems({ command: ['x'], restart: { maxDelay: 'fast', jitter: 5 }, stop: { signal: 'NOPE' } });
  assert.equal(lines.length, 3);
});

test('a secret is never echoed back in an error', () => {
  const lines = problems({ command: ['x'], backend: { kind: 'mirai', url: 'http://h:1', verifyKey: 'Secret123', qq: 'x' } });
  assert.ok(lines.every((line) => !line.includes('Secret123')));
});

test('files: invalid JSON names the line and column; a missing --config file is an error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-config-'));
  const file = join(dir, 'broken.json');
  writeFileSync(file, '{\n  "command": ["x"],\n  "restart": { "policy": "always", }\n}\n');
  assert.throws(
    () => loadConfig({ configFile: file }),
    (error: ConfigError) => /broken\.json: invalid JSON: .* at line 3, column \d+$/.test(error.problems[0] as string),
  );
  assert.throws(
    () => loadConfig({ configFile: join(dir, 'missing.json') }),
    (error: ConfigError) => /missing\.json: cannot read the config: file not found$/.test(error.problems[0] as string),
  );
  // Without --config and without ./watchdog.config.json, defaults and the CLI command are enough.
  const config = loadConfig({ cwd: dir, command: ['node', 'bot.js'] });
  assert.equal(config.configFile, undefined);
  assert.equal(config.cwd, dir);
});

test('relative paths are relative to the config file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-config-'));
  const file = join(dir, 'watchdog.config.json');
  mkdirSync(join(dir, 'bot'));
  writeFileSync(file, JSON.stringify({ command: ['x'], cwd: 'bot', probes: { heartbeat: { file: 'logs/bot.log' } } }));
  const config = loadConfig({ configFile: file, cwd: '/' });
  assert.equal(config.cwd, join(dir, 'bot'));
  assert.equal(config.probes.heartbeat?.file, join(dir, 'logs/bot.log'));
  assert.equal(config.state.file, join(dir, '.bot-watchdog/state.json'));
});

test('restart.flapping: durations and a count; a bad value names the field', () => {
  const config = resolveConfig({ command: ['bot'], restart: { flapping: { count: 0, window: '1m', delay: '2s', maxDelay: '30s' } } }, { cwd: '/srv/bot' });
  assert.deepEqual(config.restart.flapping, { count: 0, window: 60_000, delay: 2000, maxDelay: 30_000 });
  const found = problems({ command: ['bot'], restart: { flapping: { count: -1, delay: 'soon' } } });
  assert.ok(found.some((p) => /restart\.flapping\.count: expected a whole number >= 0/.test(p)), found.join('\n'));
  assert.ok(found.some((p) => /restart\.flapping\.delay: expected a duration/.test(p)), found.join('\n'));
});
