import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/config/config-error.js';
import { expandString } from '../../src/config/env-expand.js';
import { loadConfig, resolveConfig } from '../../src/config/load-config.js';
import { MAX_CONFIG_BYTES } from '../../src/config/read-config-file.js';
import { BIN } from '../helpers/watchdog-process.js';

function problems(raw: unknown, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    resolveConfig(raw, { env });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.problems;
  }
  assert.fail(`expected the config to be rejected: ${JSON.stringify(raw)}`);
}

const tmp = () => mkdtempSync(join(tmpdir(), 'bw-hostile-config-'));

test('${constructor}, ${__proto__} and other Object.prototype names are unset variables, not its members', () => {
  for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__']) {
    // A plain object as the environment (its prototype has those members) and the real process.env.
    for (const env of [{ PATH: '/bin' } as NodeJS.ProcessEnv, process.env]) {
      assert.throws(() => expandString(`\${${name}}`, env), { message: `environment variable ${name} is not set` }, name);
    }
    const lines = problems({ command: ['x'], env: { A: `\${${name}}` } }, { PATH: '/bin' });
    assert.deepEqual(lines, [`watchdog.config.json: env.A: environment variable ${name} is not set`]);
    // A fallback applies as for any unset variable.
    assert.equal(expandString(`\${${name}:-fb}`, { PATH: '/bin' }), 'fb');
  }
  // A variable that is really set still expands, even with such a name.
  assert.equal(expandString('${constructor}', { constructor: 'set' } as unknown as NodeJS.ProcessEnv), 'set');
});

test('ports out of range, 0, negative or not a number are config errors naming the field', () => {
  const link = (target: string) => problems({ command: ['x'], probes: { link: { target } } });
  for (const target of ['127.0.0.1:99999', '127.0.0.1:65536', '127.0.0.1:0', '127.0.0.1:-1', '127.0.0.1:http', '127.0.0.1:', '[::1]:70000', 'host']) {
    assert.deepEqual(
      link(target),
      [`watchdog.config.json: probes.link.target: expected "host:port" with a port from 1 to 65535, got ${JSON.stringify(target)}`],
      target,
    );
  }
  const tcp = (url: string) => problems({ command: ['x'], backend: { kind: 'tcp', url } });
  for (const url of ['tcp://127.0.0.1:99999', 'tcp://127.0.0.1:0', 'tcp://127.0.0.1:-5', 'tcp://127.0.0.1:abc', 'tcp://127.0.0.1:']) {
    assert.deepEqual(
      tcp(url),
      [`watchdog.config.json: backend.url: expected "tcp://host:port" with a port from 1 to 65535, got ${JSON.stringify(url)}`],
      url,
    );
  }
  assert.deepEqual(tcp('tcp://127.0.0.1'), ['watchdog.config.json: backend.url: expected "tcp://host:port", got "tcp://127.0.0.1"']);
  const http = (url: string) => problems({ command: ['x'], backend: { kind: 'http', url } });
  for (const url of ['http://127.0.0.1:99999', 'http://127.0.0.1:0', 'http://127.0.0.1:-1/health', 'http://127.0.0.1:x']) {
    assert.deepEqual(http(url), [`watchdog.config.json: backend.url: expected a port from 1 to 65535, got ${JSON.stringify(url)}`], url);
  }
  assert.deepEqual(problems({ command: ['x'], backend: { kind: 'onebot', url: 'http://h:5700', wsUrl: 'ws://h:0' } }), [
    'watchdog.config.json: backend.wsUrl: expected a port from 1 to 65535, got "ws://h:0"',
  ]);
  // The edges of the range, IPv6, names and default ports are fine.
  for (const target of ['127.0.0.1:1', 'localhost:65535', '[::1]:8080']) {
    assert.equal(resolveConfig({ command: ['x'], probes: { link: { target } } }).probes.link?.target, target);
  }
  resolveConfig({ command: ['x'], backend: { kind: 'tcp', url: 'tcp://[::1]:6379' } });
  resolveConfig({ command: ['x'], backend: { kind: 'http', url: 'https://example.com/health' } });
});

test('a config file over 1 MiB is refused with one clear line, and only cap+1 bytes are read', () => {
  const dir = tmp();
  const huge = join(dir, 'huge.json');
  writeFileSync(huge, '');
  truncateSync(huge, 64 * 1024 * 1024); // sparse: 64 MiB of zeros
  const expected = /^huge\.json: the config is larger than 1 MiB: is it the right file\?$/;
  assert.throws(
    () => loadConfig({ configFile: 'huge.json', cwd: dir }),
    (error: ConfigError) => error instanceof ConfigError && error.problems.length === 1 && expected.test(error.problems[0] as string),
  );
  // Exactly at the cap is still read (and then judged as JSON).
  const atCap = join(dir, 'at-cap.json');
  const body = JSON.stringify({ command: ['x'] });
  writeFileSync(atCap, body + ' '.repeat(MAX_CONFIG_BYTES - body.length));
  assert.deepEqual(loadConfig({ configFile: atCap }).command, ['x']);
});

test('--config /dev/zero ends at once with the size error, exit 2, without growing', () => {
  for (const args of [['run', '--config', '/dev/zero'], ['check', '--config', '/dev/zero'], ['status', '--config', '/dev/zero']]) {
    const result = spawnSync(process.execPath, ['--max-old-space-size=64', BIN, ...args], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(result.signal, null, `${args.join(' ')}: killed by ${result.signal}`);
    assert.equal(result.stderr, '/dev/zero: the config is larger than 1 MiB: is it the right file?\n', args.join(' '));
    assert.equal(result.status, args[0] === 'run' ? 2 : args[0] === 'check' ? 3 : 4, args.join(' '));
  }
});
