import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/config/config-error.js';
import { resolveConfig } from '../../src/config/load-config.js';
import { redactUrl } from '../../src/hooks/redact-url.js';
import { envName, hookEnv } from '../../src/hooks/hook-payload.js';

function problems(raw: unknown): string[] {
  try {
    resolveConfig(raw, { env: {} });
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.problems;
  }
  assert.fail('expected the config to be rejected');
}

test('hooks: defaults and accepted forms', () => {
  const config = resolveConfig({
    command: ['x'],
    hooks: [
      { on: ['child.stop', 'restart.giveup'], command: ['./notify.sh'] },
      { on: ['*'], url: 'https://example.com/hook?token=x', timeout: '3s' },
    ],
  });
  assert.deepEqual(config.hooks, [
    { on: ['child.stop', 'restart.giveup'], command: ['./notify.sh'], timeout: 10_000 },
    { on: ['*'], url: 'https://example.com/hook?token=x', timeout: 3000 },
  ]);
  assert.deepEqual(resolveConfig({ command: ['x'] }).hooks, []);
});

test('hooks: each mistake is one line naming the field', () => {
  assert.deepEqual(problems({ command: ['x'], hooks: [{ on: ['child.stp'], command: ['./n.sh'] }] }), [
    'watchdog.config.json: hooks[0].on[0]: expected a log event name or "*" (did you mean "child.stop"?), got "child.stp"',
  ]);
  assert.deepEqual(problems({ command: ['x'], hooks: [{ on: ['child.stop'] }] }), [
    'watchdog.config.json: hooks[0]: expected "command" (an argv list) or "url"',
  ]);
  assert.deepEqual(problems({ command: ['x'], hooks: [{ on: ['child.stop'], command: ['a'], url: 'http://h/' }] }), [
    'watchdog.config.json: hooks[0]: expected either "command" or "url", not both',
  ]);
  assert.deepEqual(problems({ command: ['x'], hooks: [{ on: [], url: 'http://h/' }] }), [
    'watchdog.config.json: hooks[0].on: expected at least one log event name, or "*", got []',
  ]);
  assert.deepEqual(problems({ command: ['x'], hooks: [{ on: ['*'], url: 'ftp://user:pw@h/x?token=abc' }] }), [
    'watchdog.config.json: hooks[0].url: expected an http(s) URL like "https://example.com/hook"',
  ]);
  assert.deepEqual(problems({ command: ['x'], hooks: [{ on: ['*'], url: 'http://h/', timeout: 0 }] }), [
    'watchdog.config.json: hooks[0].timeout: expected a duration greater than 0, got 0',
  ]);
  assert.deepEqual(problems({ command: ['x'], hooks: [{ on: ['hook.failed'], url: 'http://h/' }] }), [
    'watchdog.config.json: hooks[0].on[0]: hook.* events are never passed to hooks, got "hook.failed"',
  ]);
  assert.deepEqual(problems({ command: ['x'], hooks: [{ on: ['*'], url: 'http://h/', when: 'x' }] }), [
    'watchdog.config.json: hooks[0].when: unknown key',
  ]);
  assert.deepEqual(problems({ command: ['x'], hooks: { on: ['*'] } }), [
    'watchdog.config.json: hooks: expected a list of hooks, e.g. [{ "on": ["child.stop"], "command": ["./notify.sh"] }], got {"on":["*"]}',
  ]);
});

test('redactUrl keeps the origin and plain path, drops what may be a secret', () => {
  assert.equal(redactUrl('https://u:p@hooks.example.com/services/T0AAAAAAAAAAAAAAAAAAA/x?token=abc&a=1#frag'), 'https://[redacted]@hooks.example.com/services/[redacted]/x?token=[redacted]&a=[redacted]');
  assert.equal(redactUrl('http://127.0.0.1:3000/send_group_msg'), 'http://127.0.0.1:3000/send_group_msg');
  assert.equal(redactUrl('not a url with secret'), '[redacted]');
});

test('hook environment names', () => {
  assert.equal(envName('closeCode'), 'BOT_WATCHDOG_CLOSE_CODE');
  assert.equal(envName('event'), 'BOT_WATCHDOG_EVENT');
  assert.equal(envName('uptimeMs'), 'BOT_WATCHDOG_UPTIME_MS');
  assert.equal(envName('9lives'), undefined);
  assert.deepEqual(hookEnv({ event: 'child.kill', pids: [1, 2], signal: null }), {
    BOT_WATCHDOG_EVENT: 'child.kill',
    BOT_WATCHDOG_REASON: '',
    BOT_WATCHDOG_PID: '',
    BOT_WATCHDOG_PIDS: '[1,2]',
    BOT_WATCHDOG_SIGNAL: '',
  });
});
