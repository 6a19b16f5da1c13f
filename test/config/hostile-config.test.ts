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

/** Runs the built CLI with a config file holding `text`, under `sh -c 'ulimit -n <fds>'` when given. */
function cliWith(text: string, args: string[], fds?: number) {
  const dir = tmp();
  const config = join(dir, 'watchdog.config.json');
  writeFileSync(config, text);
  writeFileSync(join(dir, 'bot.log'), 'alive\n');
  const argv = [BIN, ...args.map((arg) => (arg === '{config}' ? config : arg))];
  const result =
    fds === undefined
      ? spawnSync(process.execPath, argv, { cwd: dir, encoding: 'utf8', timeout: 30_000 })
      : spawnSync('sh', ['-c', `ulimit -n ${fds} && exec "$0" "$@"`, process.execPath, ...argv], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
  return { ...result, config };
}

test('"__proto__", "constructor" and "prototype" keys are config errors naming the field, anywhere, and change nothing', () => {
  const cases: [raw: string, field: string][] = [
    ['{"command": ["x"], "__proto__": {"restart": {"policy": "never"}}}', '__proto__'],
    ['{"command": ["x"], "restart": {"__proto__": {"policy": "never"}}}', 'restart.__proto__'],
    ['{"command": ["x"], "restart": {"constructor": {"policy": "never"}}}', 'restart.constructor'],
    ['{"command": ["x"], "env": {"prototype": "x"}}', 'env.prototype'],
    ['{"command": ["x"], "env": {"__proto__": "x"}}', 'env.__proto__'],
    ['{"command": ["x"], "hooks": [{"on": ["child.exit"], "command": ["true"], "__proto__": {"url": "http://x"}}]}', 'hooks[0].__proto__'],
  ];
  for (const [raw, field] of cases) {
    const key = field.replace(/^.*[.\]]/, '').replace(/^hooks\[0\]/, '');
    assert.deepEqual(problems(JSON.parse(raw)), [`watchdog.config.json: ${field}: "${key}" is not allowed as a key`], raw);
  }
  // Through the CLI: exit 2, one line, and the policy written under __proto__ never applies.
  const run = cliWith(cases[0]![0], ['config', '--config', '{config}']);
  assert.equal(run.status, 2, run.stderr);
  assert.equal(run.stderr, `${run.config}: __proto__: "__proto__" is not allowed as a key\n`);
  assert.equal(run.stdout, '');
  assert.equal(Object.prototype.hasOwnProperty.call({}, 'restart'), false, 'Object.prototype untouched');
});

test('deeply nested config JSON is a config error (exit 2, one line naming it), never a stack overflow', () => {
  const deepList = `{"command": ["x"], "hooks": ${'['.repeat(200_000)}${']'.repeat(200_000)}}`;
  const deepObject = `{"command": ["x"], "env": ${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`;
  for (const [text, field] of [[deepList, 'hooks'], [deepObject, 'env']] as const) {
    assert.deepEqual(problems(JSON.parse(text)), [`watchdog.config.json: ${field}: nested deeper than 32 levels (no config field is): is it the right file?`]);
  }
  for (const [text, field] of [[deepList, 'hooks']] as const) {
    for (const [command, code] of [['run', 2], ['check', 3]] as const) {
      const run = cliWith(text, [command, '--config', '{config}']);
      assert.equal(run.status, code, `${command}: ${run.stderr}`);
      assert.doesNotMatch(run.stdout + run.stderr, /internal error|Maximum call stack/, command);
      assert.match(run.stdout + run.stderr, new RegExp(`${field}: nested deeper than 32 levels`), command);
      if (command === 'run') assert.equal(run.stderr.trimEnd().split('\n').length, 1, run.stderr);
    }
  }
  // Nesting a real config needs (a hook's argv: 3 levels) is fine.
  assert.deepEqual(resolveConfig({ command: ['x'], hooks: [{ on: ['child.exit'], command: ['true'] }] }).hooks[0]?.command, ['true']);
});

test('ulimit -n 64 does not stop check nor run from starting (the config loads from one small library)', () => {
  const config = JSON.stringify({
    command: [process.execPath, '-e', 'console.log("hi")'],
    restart: { policy: 'never', schedule: '0 4 * * *' },
    probes: { heartbeat: { file: 'bot.log' }, output: { patterns: ['a(b|c)'] } },
    hooks: [{ on: ['child.exit'], command: ['true'] }],
    status: { listen: 0 },
    log: { format: 'json' },
  });
  const check = cliWith(config, ['check', '--config', '{config}', '--only', 'heartbeat'], 64);
  assert.equal(check.status, 0, check.stdout + check.stderr);
  assert.match(check.stdout, /heartbeat\s+healthy/);
  // The bot prints and exits; with restart.policy "never" the watchdog ends with it.
  const run = cliWith(config, ['run', '--config', '{config}'], 64);
  assert.equal(run.signal, null, 'ended by itself');
  assert.equal(run.status, 0, run.stderr);
  assert.doesNotMatch(run.stderr, /EMFILE|internal error/, run.stderr);
  assert.match(run.stderr, /"event":"child\.spawn"/);
  assert.match(run.stderr, /"event":"child\.exit"/);
});

test('a list where an object belongs and a number too large for JSON are config errors naming the field', () => {
  assert.deepEqual(problems({ command: ['x'], restart: [] }), ['watchdog.config.json: restart: expected an object, got []']);
  assert.deepEqual(problems({ command: ['x'], env: ['A=1'] }), ['watchdog.config.json: env: expected an object of string values, got ["A=1"]']);
  assert.deepEqual(problems({ command: ['x'], hooks: [[]] }), ['watchdog.config.json: hooks[0]: expected an object, got []']);
  assert.deepEqual(problems({ command: ['x'], restart: { limit: [] } }), ['watchdog.config.json: restart.limit: expected an object, got []']);
  // 1e400 parses as Infinity.
  assert.deepEqual(problems(JSON.parse('{"command": ["x"], "restart": {"factor": 1e400}}')), ['watchdog.config.json: restart.factor: expected a number >= 1, got Infinity']);
  assert.deepEqual(problems(JSON.parse('{"command": ["x"], "stop": {"timeout": 1e400}}')), [
    'watchdog.config.json: stop.timeout: expected a duration like "30s", "5m" or a number of milliseconds, got Infinity',
  ]);
});
