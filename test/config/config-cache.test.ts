import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheFileFor, loadConfigCached } from '../../src/config/config-cache.js';
import { ConfigError } from '../../src/config/config-error.js';
import { loadConfig } from '../../src/config/load-config.js';

function setup(config: Record<string, unknown>) {
  const dir = mkdtempSync(join(tmpdir(), 'bw-cfgcache-'));
  const configFile = join(dir, 'watchdog.config.json');
  writeFileSync(configFile, JSON.stringify(config));
  const cache = cacheFileFor({ configFile, cwd: dir });
  return { dir, configFile, cache };
}

const json = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;
const SECRET = 'sup3r-s3cret-key';
const config = {
  command: ['python3', 'main.py', '--token=${BW_TEST_TOKEN}'],
  env: { OPENAI_API_KEY: '${BW_TEST_TOKEN}' },
  backend: { kind: 'mirai', url: 'http://127.0.0.1:${BW_TEST_PORT}', verifyKey: '${BW_TEST_TOKEN}', qq: 123 },
  probes: { heartbeat: { file: 'bot.log', maxAge: '90s' } },
  restart: { maxDelay: '1m' },
};
const env = { BW_TEST_TOKEN: SECRET, BW_TEST_PORT: '8080' };

test('a cached config is the same config, with secrets restored but never stored', async () => {
  const { configFile, cache } = setup(config);
  const expected = loadConfig({ configFile, requireCommand: false, env });
  const first = await loadConfigCached({ configFile, requireCommand: false, env });
  assert.deepEqual(json(first), json(expected));
  assert.ok(existsSync(cache));
  assert.equal(statSync(cache).mode & 0o777, 0o600);
  assert.doesNotMatch(readFileSync(cache, 'utf8'), new RegExp(SECRET), 'no secret in the cache');
  const second = await loadConfigCached({ configFile, requireCommand: false, env });
  assert.deepEqual(json(second), json(expected));
  assert.equal(second.backend.verifyKey, SECRET);
  assert.equal(second.env.OPENAI_API_KEY, SECRET);
  assert.deepEqual(second.command, ['python3', 'main.py', `--token=${SECRET}`]);
});

test('a hit is served from the cache (no validation)', async () => {
  const { configFile, cache } = setup({ restart: { factor: 2 } });
  await loadConfigCached({ configFile, requireCommand: false, env });
  const entry = JSON.parse(readFileSync(cache, 'utf8')) as { config: { restart: { factor: number } } };
  entry.config.restart.factor = 7;
  writeFileSync(cache, JSON.stringify(entry), { mode: 0o600 });
  assert.equal((await loadConfigCached({ configFile, requireCommand: false, env })).restart.factor, 7);
});

test('an edited config, or a changed variable it uses, is validated again', async () => {
  const { configFile } = setup(config);
  await loadConfigCached({ configFile, requireCommand: false, env });
  const changed = await loadConfigCached({ configFile, requireCommand: false, env: { ...env, BW_TEST_PORT: '9090' } });
  assert.equal(changed.backend.url, 'http://127.0.0.1:9090');
  writeFileSync(configFile, JSON.stringify({ ...config, restart: { maxDelay: 'fast' } }));
  await assert.rejects(loadConfigCached({ configFile, requireCommand: false, env }), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.match(error.problems[0] ?? '', /restart\.maxDelay: expected a duration/);
    return true;
  });
  await assert.rejects(loadConfigCached({ configFile, requireCommand: false, env: {} }), /BW_TEST_TOKEN is not set/);
});

test('a cache others could have written is ignored; an unwritable folder only costs time', async () => {
  const { configFile, cache } = setup({ restart: { factor: 2 } });
  await loadConfigCached({ configFile, requireCommand: false, env });
  const entry = JSON.parse(readFileSync(cache, 'utf8')) as { config: { restart: { factor: number } } };
  entry.config.restart.factor = 7;
  writeFileSync(cache, JSON.stringify(entry));
  chmodSync(cache, 0o666);
  assert.equal((await loadConfigCached({ configFile, requireCommand: false, env })).restart.factor, 2);

  // .bot-watchdog is a file here: no cache can be written (as root too).
  const other = setup({ restart: { factor: 3 } });
  writeFileSync(join(other.dir, '.bot-watchdog'), '');
  assert.equal((await loadConfigCached({ configFile: other.configFile, requireCommand: false, env })).restart.factor, 3);
  assert.equal((await loadConfigCached({ configFile: other.configFile, requireCommand: false, env })).restart.factor, 3);
});

test('without a config file, the cache lives in the working directory', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-cfgcache-'));
  const loaded = await loadConfigCached({ cwd: dir, requireCommand: false, env });
  assert.equal(loaded.configFile, undefined);
  assert.equal(loaded.state.file, join(dir, '.bot-watchdog', 'state.json'));
  assert.ok(existsSync(join(dir, '.bot-watchdog', 'defaults.cache.json')));
});
