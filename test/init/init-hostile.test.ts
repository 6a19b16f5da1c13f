// Issue 17, init's hostile cases: a `${` in a bot's own key (17.7), a symbolic link at the
// config's name (17.12), a deeply nested literal in config.py (17.9). Fault-matrix rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { escapeEnvReferences, expandString } from '../../src/config/env-expand.js';
import { loadConfig } from '../../src/config/load-config.js';
import { initCommand } from '../../src/commands/init.js';
import { MAX_NESTING, parseLiteral, PythonLiteralError, readAssignment } from '../../src/init/python-literal.js';
import { BIN } from '../helpers/watchdog-process.js';

/** The real CLI (a process): once per case where the whole path matters. */
function cli(args: string[], cwd: string) {
  const run = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** `init` in this process (the same function the CLI calls): fast enough for many cases on a loaded machine. */
function init(cwd: string, options: { preset?: 'generic' | 'nonebot2'; force?: boolean } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = initCommand({ cwd, ...options, out: (line) => out.push(line), err: (line) => err.push(line) });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

const tempDir = (tag: string) => mkdtempSync(join(tmpdir(), `bw-init-${tag}-`));

test('escapeEnvReferences is the exact inverse of the expansion: every string over "$", "{", "}", ":", "-", "a" up to 6 characters', () => {
  const alphabet = ['$', '{', '}', ':', '-', 'a'];
  const env = { a: 'EXPANDED', HOME: '/root' };
  let strings = [''];
  let checked = 0;
  for (let length = 1; length <= 6; length++) {
    strings = strings.flatMap((s) => alphabet.map((c) => s + c));
    for (const text of strings) {
      assert.equal(expandString(escapeEnvReferences(text), env), text, JSON.stringify(text));
      checked++;
    }
  }
  assert.ok(checked > 55_000);
  assert.equal(escapeEnvReferences('k${HOME}x'), 'k$${HOME}x');
});

test('17.7: a bot key holding "${" is written escaped and loads as itself — never expanded, never an unset-variable error', () => {
  for (const [index, key] of ['k${HOME}x', 'a${NOT_SET_ANYWHERE_17}b', 'p$${q}', '${', 'tail$'].entries()) {
    const dir = tempDir('escape');
    writeFileSync(join(dir, 'config.py'), `mirai_http_api_config = {"host": "h\${HOST}", "port": 8082, "verifyKey": ${JSON.stringify(key)}, "qq": 10001}\n`);
    const run = index === 0 ? cli(['init'], dir) : init(dir);
    assert.equal(run.code, 0, run.stderr);
    if (key.length > 4) assert.ok(!run.stdout.includes(key), 'the key is never shown');
    const loaded = loadConfig({ configFile: join(dir, 'watchdog.config.json'), env: { HOME: '/root', HOST: 'evil' } });
    assert.equal(loaded.backend.verifyKey, key);
    assert.equal(loaded.backend.url, 'http://h${HOST}:8082');
    if (index === 1) {
      // The real CLI loads it too, with the variable unset: no "is not set" error.
      const shown = cli(['config'], dir);
      assert.equal(shown.code, 0, shown.stderr);
    }
  }
});

test('17.12: a symbolic link at watchdog.config.json is never written through', () => {
  const dir = tempDir('link');
  const outside = tempDir('link-target');
  const target = join(outside, 'precious.json');
  writeFileSync(target, '{"command": ["mine"]}\n');
  const link = join(dir, 'watchdog.config.json');
  symlinkSync(target, link);

  // Without --force: refused, as any file there.
  const refused = init(dir, { preset: 'generic' });
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /already exists here; not overwritten/);
  assert.equal(readFileSync(target, 'utf8'), '{"command": ["mine"]}\n');

  // --force: the link itself is replaced by a regular file; the target is untouched.
  const forced = cli(['init', '--preset', 'nonebot2', '--force'], dir);
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stdout, new RegExp(`watchdog\\.config\\.json was a symbolic link to ${target.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: the link was replaced by this file; its target is untouched`));
  assert.equal(readFileSync(target, 'utf8'), '{"command": ["mine"]}\n');
  assert.equal(lstatSync(link).isSymbolicLink(), false);
  assert.deepEqual((JSON.parse(readFileSync(link, 'utf8')) as { backend: unknown }).backend, { kind: 'onebot-reverse', listen: '127.0.0.1:9466' });

  // A dangling link (pointing where a file would be created): refused without --force, nothing created there.
  const dir2 = tempDir('dangling');
  const nowhere = join(outside, 'would-be-created.json');
  symlinkSync(nowhere, join(dir2, 'watchdog.config.json'));
  assert.equal(init(dir2, { preset: 'generic' }).code, 2);
  assert.equal(existsSync(nowhere), false);
  assert.equal(init(dir2, { preset: 'generic', force: true }).code, 0);
  assert.equal(existsSync(nowhere), false, 'the link\'s target was not created');
  // No temp file left behind.
  assert.deepEqual(spawnSync('ls', ['-A', dir2], { encoding: 'utf8' }).stdout.trim().split('\n'), ['watchdog.config.json']);
});

test('17.9: a config.py literal nested 100 000 deep is a clear note (defaults used), never a stack overflow; 150 levels still read', () => {
  for (const [index, literal] of ['['.repeat(100_000), '{"a": '.repeat(100_000), '-'.repeat(100_000) + '1', '('.repeat(100_000) + '1' + ')'.repeat(100_000)].entries()) {
    assert.throws(() => parseLiteral(literal), (error: unknown) => error instanceof PythonLiteralError && new RegExp(`nested deeper than ${MAX_NESTING} levels`).test(error.message));
    const dir = tempDir('deep');
    writeFileSync(join(dir, 'config.py'), `mirai_http_api_config = ${literal}\n`);
    const run = index === 0 ? cli(['init'], dir) : init(dir);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    assert.match(run.stdout, /config\.py: mirai_http_api_config is not a plain literal \(line 1: a value nested deeper than 200 levels\): the preset's defaults are used/);
  }
  const deepButFine = `${'['.repeat(150)}1${']'.repeat(150)}`;
  let value = readAssignment(`x = ${deepButFine}\n`, 'x');
  for (let i = 0; i < 150; i++) value = (value as unknown[])[0] as never;
  assert.equal(value, 1);
});
