import { test } from 'node:test';
import assert from 'node:assert/strict';
import { secretValues } from '../../src/config/secret-values.js';
import { createTextRedactor } from '../../src/log/redact.js';

test('secretValues: secret keys at any depth, secret-looking env names, URL passwords anywhere (issue 17.6)', () => {
  const config = {
    command: ['bot', '--db', 'mysql://root:Dbp%40ss1@db/x'],
    env: { BOT_TOKEN: 'tok-1234', DATABASE_URL: 'postgres://u:PgPass99@h/db', HOME: '/home/bot', SHORT_KEY: 'ab' },
    backend: { verifyKey: 'vk-5678', url: 'ws://h/?x=1' },
    status: { token: 'status-token-0123456789' },
    hooks: [{ url: 'https://hook:HookPw77@example.org/x' }],
    cwd: 'ssh://git@github.com/x', // a user name alone is no secret
  };
  const found = new Set(secretValues(config));
  for (const secret of ['tok-1234', 'PgPass99', 'u:PgPass99', 'vk-5678', 'status-token-0123456789', 'HookPw77', 'Dbp%40ss1', 'Dbp@ss1']) {
    assert.ok(found.has(secret), secret);
  }
  for (const plain of ['/home/bot', 'ab', 'git', 'root']) assert.ok(!found.has(plain), plain);
  const scrub = createTextRedactor([...found]);
  assert.equal(scrub('bot --token tok-1234 pw=PgPass99 url=postgres://u:PgPass99@h/db'), 'bot --token [redacted] pw=[redacted] url=postgres://[redacted]@h/db');
});

test('secretValues never throws on odd configs', () => {
  assert.deepEqual(secretValues({}), []);
  assert.deepEqual(secretValues({ env: null, x: [null, 1, true, { token: 5 }] }), []);
  const deep: Record<string, unknown> = {};
  let at = deep;
  for (let i = 0; i < 10_000; i++) at = (at['a'] = {}) as Record<string, unknown>;
  assert.deepEqual(secretValues(deep), []);
});
