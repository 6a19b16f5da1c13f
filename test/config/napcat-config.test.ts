// Config keys of issue 10: backend.kind "onebot-reverse" with backend.listen, backend.restart,
// restart.schedule, and startup.waitForBackend's default for onebot-reverse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/config/config-error.js';
import { resolveConfig } from '../../src/config/load-config.js';

function problems(raw: unknown): string[] {
  try {
    resolveConfig(raw, { env: {} });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.problems;
  }
  assert.fail('expected the config to be rejected');
}

const napcat = (backend: Record<string, unknown> = {}) => ({ command: ['python3', 'main.py'], backend: { kind: 'onebot-reverse', listen: '127.0.0.1:9466', ...backend } });

test('onebot-reverse: listen and accessToken, no url needed; the start never waits for NapCat unless asked', () => {
  const config = resolveConfig(napcat({ accessToken: 'T' }));
  assert.deepEqual([config.backend.kind, config.backend.listen, config.backend.accessToken], ['onebot-reverse', '127.0.0.1:9466', 'T']);
  assert.equal(config.startup.waitForBackend, false);
  assert.equal(config.probes.websocket.enabled, false);
  assert.equal(resolveConfig({ ...napcat(), startup: { waitForBackend: true } }).startup.waitForBackend, true);
  assert.equal(resolveConfig({ command: ['x'], backend: { kind: 'onebot', url: 'http://127.0.0.1:5700' } }).startup.waitForBackend, true);
  assert.equal(resolveConfig({ command: ['x'] }).startup.waitForBackend, true);
});

test('backend.listen: a port (number or text), "host:port", "[v6]:port"', () => {
  for (const listen of [9466, '9466', '127.0.0.1:9466', '[::1]:9466', 'localhost:9466']) {
    assert.equal(resolveConfig(napcat({ listen })).backend.listen, listen);
  }
  for (const listen of ['0.0.0.0:9466', 'napcat-bridge:9466']) {
    assert.equal(resolveConfig(napcat({ listen, accessToken: 'a-long-enough-token' })).backend.listen, listen);
  }
});

test('backend.listen on a non-loopback address needs backend.accessToken (nobody else may pose as NapCat)', () => {
  assert.throws(
    () => resolveConfig(napcat({ listen: '0.0.0.0:9466' })),
    /watchdog\.config\.json: backend\.accessToken: required when backend\.listen \("0\.0\.0\.0:9466"\) is not a loopback address/,
  );
});

test('backend.restart: command, after and cooldown (defaults 1m and 10m), for any backend kind', () => {
  const config = resolveConfig(napcat({ restart: { command: ['docker', 'restart', 'napcat'] } }));
  assert.deepEqual(config.backend.restart, { command: ['docker', 'restart', 'napcat'], after: 60_000, cooldown: 600_000 });
  const mirai = resolveConfig({
    command: ['x'],
    backend: { kind: 'mirai', url: 'http://127.0.0.1:8080', verifyKey: 'k', restart: { command: ['systemctl', 'restart', 'mcl'], after: '5m', cooldown: '30m' } },
  });
  assert.deepEqual(mirai.backend.restart, { command: ['systemctl', 'restart', 'mcl'], after: 300_000, cooldown: 1_800_000 });
});

test('restart.schedule: a cron expression', () => {
  assert.equal(resolveConfig({ command: ['x'], restart: { schedule: '0 4 * * *' } }).restart.schedule, '0 4 * * *');
  assert.equal(resolveConfig({ command: ['x'], restart: { schedule: '0 */6 * * *' } }).restart.schedule, '0 */6 * * *');
  assert.equal(resolveConfig({ command: ['x'] }).restart.schedule, undefined);
});

const bad: [string, unknown, RegExp][] = [
  ['onebot-reverse without listen', { command: ['x'], backend: { kind: 'onebot-reverse' } }, /^watchdog\.config\.json: backend\.listen: required when backend\.kind is "onebot-reverse"/],
  ['a listen that is a host only', napcat({ listen: 'localhost' }), /^watchdog\.config\.json: backend\.listen: expected a port \(1-65535\) or "host:port", e\.g\. "127\.0\.0\.1:9466", got "localhost"$/],
  ['a port out of range', napcat({ listen: 70000 }), /^watchdog\.config\.json: backend\.listen: expected a port \(1-65535\) or "host:port".*, got 70000$/],
  ['a URL as listen', napcat({ listen: 'ws://127.0.0.1:9466/ws' }), /^watchdog\.config\.json: backend\.listen: expected a port \(1-65535\) or "host:port".*, got "ws:\/\/127\.0\.0\.1:9466\/ws"$/],
  ['listen with another kind', { command: ['x'], backend: { kind: 'onebot', url: 'http://h:1', listen: 9466 } }, /^watchdog\.config\.json: backend\.listen: only for backend\.kind "onebot-reverse", got 9466$/],
  ['a restart without command', napcat({ restart: { after: '1m' } }), /^watchdog\.config\.json: backend\.restart\.command: required$/],
  ['a restart command as one string', napcat({ restart: { command: 'docker restart napcat' } }), /^watchdog\.config\.json: backend\.restart\.command: expected the command's argv as a list of strings.*, got "docker restart napcat"$/],
  ['an empty restart command', napcat({ restart: { command: [] } }), /^watchdog\.config\.json: backend\.restart\.command: expected at least the program to run, got \[\]$/],
  ['a restart command without a program', napcat({ restart: { command: ['', 'x'] } }), /^watchdog\.config\.json: backend\.restart\.command: expected the program to run first, not ""/],
  ['a restart after that is not a duration', napcat({ restart: { command: ['x'], after: 'soon' } }), /^watchdog\.config\.json: backend\.restart\.after: expected a duration like "30s".*, got "soon"$/],
  ['a zero cooldown', napcat({ restart: { command: ['x'], cooldown: 0 } }), /^watchdog\.config\.json: backend\.restart\.cooldown: expected a duration greater than 0, got 0$/],
  ['a typo in restart', napcat({ restart: { command: ['x'], cooldwn: '1m' } }), /^watchdog\.config\.json: backend\.restart\.cooldwn: unknown key \(did you mean "cooldown"\?\)$/],
  ['a restart without a backend', { command: ['x'], backend: { restart: { command: ['x'] } } }, /^watchdog\.config\.json: backend\.restart: needs a backend to watch \(backend\.kind is "none"\)$/],
  ['a schedule that is not cron', { command: ['x'], restart: { schedule: 'every 4 hours' } }, /^watchdog\.config\.json: restart\.schedule: expected a cron expression like "0 4 \* \* \*" \(.*five, six, or seven.*\), got "every 4 hours"$/],
  ['a schedule with a bad minute', { command: ['x'], restart: { schedule: '61 * * * *' } }, /^watchdog\.config\.json: restart\.schedule: expected a cron expression like "0 4 \* \* \*" \(Invalid value for minute: 61\), got "61 \* \* \* \*"$/],
  ['a schedule that never fires', { command: ['x'], restart: { schedule: '0 0 30 2 *' } }, /^watchdog\.config\.json: restart\.schedule: .*\(the cron expression never fires\)/],
];

for (const [name, raw, expected] of bad) {
  test(`bad config: ${name}`, () => {
    const lines = problems(raw);
    assert.equal(lines.length, 1, `one line expected, got:\n${lines.join('\n')}`);
    assert.match(lines[0] as string, expected);
  });
}

test('the access token is never echoed back in an error', () => {
  const lines = problems(napcat({ listen: 'nope', accessToken: 'S3cret-token' }));
  assert.ok(lines.every((line) => !line.includes('S3cret-token')));
});
