import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configJsonSchema } from '../../src/config/json-schema.js';
import { loadConfig } from '../../src/config/load-config.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

test('the example watchdog.config.json is valid and runs a QChatGPT-style bot', () => {
  const config = loadConfig({ configFile: `${root}watchdog.config.json`, env: { ...process.env } });
  assert.deepEqual(config.command, ['python3', 'main.py']);
  assert.equal(config.cwd, root.replace(/\/$/, ''));
});

test('schema/watchdog.config.schema.json is generated from the schema (run scripts/gen-schema.ts)', () => {
  const committed = JSON.parse(readFileSync(`${root}schema/watchdog.config.schema.json`, 'utf8')) as unknown;
  assert.deepEqual(committed, configJsonSchema(), 'out of date: run `node --import tsx scripts/gen-schema.ts`');
});

test('the JSON Schema rejects unknown keys and lists every documented section', () => {
  const schema = configJsonSchema() as { additionalProperties: boolean; properties: Record<string, unknown> };
  assert.equal(schema.additionalProperties, false);
  for (const key of ['command', 'cwd', 'env', 'restart', 'stop', 'log', 'backend', 'probes', 'startup', 'state']) {
    assert.ok(key in schema.properties, key);
  }
});
