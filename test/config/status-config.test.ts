import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/config/config-error.js';
import { isLoopbackHost, parseListenAddress } from '../../src/net/listen-address.js';
import { resolveConfig } from '../../src/config/load-config.js';

const TOKEN = 'status-token-0123456789abcdef';

function problems(raw: unknown): string[] {
  try {
    resolveConfig(raw, { env: {} });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.problems;
  }
  assert.fail('expected the config to be rejected');
}

test('status.listen: off by default; "host:port" or a port alone (127.0.0.1)', () => {
  assert.equal(resolveConfig({ command: ['x'] }).status.listen, undefined);
  assert.deepEqual(parseListenAddress('127.0.0.1:9465'), { host: '127.0.0.1', port: 9465, loopback: true });
  assert.deepEqual(parseListenAddress(9465), { host: '127.0.0.1', port: 9465, loopback: true });
  assert.deepEqual(parseListenAddress('9465'), { host: '127.0.0.1', port: 9465, loopback: true });
  assert.deepEqual(parseListenAddress('[::1]:9465'), { host: '::1', port: 9465, loopback: true });
  assert.deepEqual(parseListenAddress('localhost:0'), { host: 'localhost', port: 0, loopback: true });
  assert.deepEqual(parseListenAddress('0.0.0.0:9465'), { host: '0.0.0.0', port: 9465, loopback: false });
  assert.deepEqual(parseListenAddress('[::]:9465'), { host: '::', port: 9465, loopback: false });
  assert.deepEqual(parseListenAddress('status.example:80'), { host: 'status.example', port: 80, loopback: false });
  for (const bad of ['', ':9465', '127.0.0.1', '127.0.0.1:99999', '[nope]:80', 'a b:80', -1, 70000, 1.5]) {
    assert.ok('problem' in parseListenAddress(bad), `rejected: ${JSON.stringify(bad)}`);
  }
  assert.ok(isLoopbackHost('127.8.9.10'));
  assert.ok(isLoopbackHost('::ffff:127.0.0.1'));
  assert.ok(!isLoopbackHost('128.0.0.1'));
  assert.ok(!isLoopbackHost('::ffff:10.0.0.1'));
});

test('status: a non-loopback address only with a token; errors name the field and never echo the token', () => {
  assert.deepEqual(problems({ command: ['x'], status: { listen: '0.0.0.0:9465' } }), [
    'watchdog.config.json: status.token: required when status.listen ("0.0.0.0:9465") is not a loopback address: anyone who can reach it could read the bot\'s status',
  ]);
  assert.equal(resolveConfig({ command: ['x'], status: { listen: '0.0.0.0:9465', token: TOKEN } }).status.token, TOKEN);
  assert.equal(resolveConfig({ command: ['x'], status: { listen: 9465 } }).status.listen, 9465);
  assert.deepEqual(problems({ command: ['x'], status: { listen: '127.0.0.1' } }), [
    'watchdog.config.json: status.listen: expected "host:port" (e.g. "127.0.0.1:9465") or a port number, got "127.0.0.1"',
  ]);
  assert.deepEqual(problems({ command: ['x'], status: { listen: 70000 } }), ['watchdog.config.json: status.listen: expected a port from 0 to 65535, got 70000']);
  const short = problems({ command: ['x'], status: { listen: 9465, token: 'short-secret' } });
  assert.deepEqual(short, ['watchdog.config.json: status.token: expected at least 16 characters (value not shown: it is a secret)']);
  assert.deepEqual(problems({ command: ['x'], status: { listne: 9465 } }), ['watchdog.config.json: status.listne: unknown key (did you mean "listen"?)']);
});
