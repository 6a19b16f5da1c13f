import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BACKEND_KINDS } from '../../src/config/constants.js';
import { loadConfig } from '../../src/config/load-config.js';
import { PRESET_NAMES, presetConfig } from '../../src/init/presets.js';
import { stopTimeoutFor } from '../../src/supervisor/restart-reasons.js';
import { BIN } from '../helpers/watchdog-process.js';

function cli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  const run = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

const QCHATGPT_CONFIG_PY = `# -*- coding: utf-8 -*-
mirai_http_api_config = {
    "adapter": "WebSocketAdapter",
    "host": "localhost",
    "port": 8082,
    "verifyKey": "yirimirai-Secret-77",  # keep this to yourself
    "qq": 1234567890
}
openai_config = {"api_key": {"default": "sk-not-ours"}}
`;

test('init in a QChatGPT folder: preset recognised, host, port, qq and key from config.py; the key never printed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-init-'));
  writeFileSync(join(dir, 'config.py'), QCHATGPT_CONFIG_PY);
  const run = cli(['init'], dir);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /wrote watchdog\.config\.json \(preset qchatgpt, recognised from config\.py\)/);
  assert.match(run.stdout, /from config\.py: backend http:\/\/localhost:8082, qq 1234567890, verifyKey \(not shown\)/);
  assert.ok(!run.stdout.includes('yirimirai-Secret-77') && !run.stderr.includes('yirimirai-Secret-77'));
  const file = join(dir, 'watchdog.config.json');
  assert.equal(statSync(file).mode & 0o777, 0o600, 'a file holding the key is private');
  const written = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown> & { backend: Record<string, unknown>; $schema: string };
  assert.deepEqual(written.backend, { kind: 'mirai', url: 'http://localhost:8082', verifyKey: 'yirimirai-Secret-77', qq: 1234567890 });
  // $schema points at this installation's schema file.
  assert.ok(existsSync(fileURLToPath(written.$schema)), written.$schema);
  // The real loader accepts it.
  const config = loadConfig({ configFile: file, env: {} });
  assert.equal(config.backend.url, 'http://localhost:8082');
  assert.deepEqual(config.probes.output.patterns, ['WebSocket 通道意外关闭', '无法连接到 mirai']);
});

test('init refuses to overwrite without --force (exit 2, file untouched), and overwrites with it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-init-'));
  const file = join(dir, 'watchdog.config.json');
  writeFileSync(file, '{"command": ["mine"]}\n');
  const refused = cli(['init', '--preset', 'generic'], dir);
  assert.equal(refused.code, 2);
  assert.equal(refused.stderr.trim(), 'bot-watchdog init: watchdog.config.json already exists here; not overwritten (use --force to replace it)');
  assert.equal(readFileSync(file, 'utf8'), '{"command": ["mine"]}\n');
  const forced = cli(['init', '--preset', 'generic', '--force'], dir);
  assert.equal(forced.code, 0, forced.stderr);
  assert.deepEqual((JSON.parse(readFileSync(file, 'utf8')) as { command: string[] }).command, ['./start.sh']);
  const unknown = cli(['init', '--preset', 'qchatgtp'], dir);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /argument 'qchatgtp' is invalid/);
});

test('init: an unreadable config.py falls back to the defaults and says why; it is never run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-init-'));
  const marker = join(dir, 'executed');
  writeFileSync(join(dir, 'config.py'), `mirai_http_api_config = __import__("os").system("touch ${marker}")\n`);
  const run = cli(['init'], dir);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /mirai_http_api_config is not a plain literal \(line 1: the name __import__/);
  assert.equal(existsSync(marker), false);
  const written = JSON.parse(readFileSync(join(dir, 'watchdog.config.json'), 'utf8')) as { backend: Record<string, unknown> };
  assert.deepEqual(written.backend, { kind: 'mirai', url: 'http://127.0.0.1:8080', verifyKey: '${MIRAI_VERIFY_KEY:-yirimirai}' });
});

test('init: NoneBot2 and Koishi ports from their own files', () => {
  const nb = mkdtempSync(join(tmpdir(), 'bw-init-nb-'));
  writeFileSync(join(nb, 'pyproject.toml'), '[project]\nname = "mybot"\ndependencies = ["nonebot2[fastapi]"]\n');
  writeFileSync(join(nb, '.env'), 'ENVIRONMENT=prod\nDRIVER=~fastapi\n');
  writeFileSync(join(nb, '.env.prod'), 'HOST=127.0.0.1\nPORT=8090  # NapCat connects here\n');
  const run = cli(['init'], nb);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /preset nonebot2, recognised from pyproject\.toml/);
  assert.match(run.stdout, /from \.env\.prod: the bot listens on port 8090/);
  const written = JSON.parse(readFileSync(join(nb, 'watchdog.config.json'), 'utf8')) as { probes: { link: { listen: number } } };
  assert.equal(written.probes.link.listen, 8090);

  const koishi = mkdtempSync(join(tmpdir(), 'bw-init-koishi-'));
  writeFileSync(join(koishi, 'koishi.yml'), 'host: 127.0.0.1\nport: 5150\nplugins:\n  adapter-onebot:\n    port: 9999\n');
  const k = cli(['init'], koishi);
  assert.equal(k.code, 0, k.stderr);
  assert.match(k.stdout, /preset koishi, recognised from koishi\.yml/);
  assert.equal((JSON.parse(readFileSync(join(koishi, 'watchdog.config.json'), 'utf8')) as { probes: { link: { listen: number } } }).probes.link.listen, 5150);
});

const REVERSE_SCHEMA = (BACKEND_KINDS as readonly string[]).includes('onebot-reverse');

for (const preset of PRESET_NAMES) {
  const config = presetConfig(preset) as { backend?: { kind?: string } };
  const reverse = config.backend?.kind === 'onebot-reverse';
  test(
    `preset ${preset}: the real loader accepts what init writes`,
    { skip: reverse && !REVERSE_SCHEMA ? 'needs backend.kind "onebot-reverse", backend.listen and probes.link.listen in the schema (issue 10)' : false },
    () => {
      const dir = mkdtempSync(join(tmpdir(), `bw-preset-${preset}-`));
      const run = cli(['init', '--preset', preset], dir);
      assert.equal(run.code, 0, run.stderr);
      const loaded = loadConfig({ configFile: join(dir, 'watchdog.config.json'), env: { MIRAI_VERIFY_KEY: 'k' } });
      assert.deepEqual(loaded.command, (config as { command: string[] }).command);
      if (reverse) {
        // A link-stalled bot (its loop blocked) is SIGKILLed at once; a deaf one still gets stop.timeout to shut down.
        assert.equal(stopTimeoutFor('link-stalled', loaded.stop), 0);
        assert.equal(stopTimeoutFor('link-lost', loaded.stop), 10_000);
      }
      const shown = cli(['config'], dir, { MIRAI_VERIFY_KEY: 'k-from-env' });
      assert.equal(shown.code, 0, shown.stderr);
    },
  );
}

test('config prints the effective config: defaults, durations in ms, secrets as "***" wherever they appear', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-config-'));
  writeFileSync(
    join(dir, 'watchdog.config.json'),
    JSON.stringify({
      command: ['python3', 'main.py', '--key', '${MIRAI_VERIFY_KEY}'],
      env: { PYTHONUNBUFFERED: '1', OPENAI_API_KEY: 'sk-abcdefgh', BOT_TOKEN: 'tok-123456' },
      backend: { kind: 'mirai', url: 'http://127.0.0.1:8080', verifyKey: '${MIRAI_VERIFY_KEY}', qq: 42 },
      probes: { heartbeat: { file: 'logs/*.log', maxAge: '6h' } },
      hooks: [
        { on: ['restart.giveup'], url: 'https://ops:pw@hooks.example.com/hook/T0123456789ABCDEFGHIJ?token=zzz-top' },
        { on: ['child.stop'], command: ['./notify.sh'], timeout: '3s' },
      ],
    }),
  );
  const run = cli(['config'], dir, { MIRAI_VERIFY_KEY: 'the-Verify-Key' });
  assert.equal(run.code, 0, run.stderr);
  const shown = JSON.parse(run.stdout) as Record<string, any>;
  assert.deepEqual(shown['command'], ['python3', 'main.py', '--key', '***']);
  assert.equal(shown['cwd'], dir);
  assert.deepEqual(shown['env'], { PYTHONUNBUFFERED: '1', OPENAI_API_KEY: '***', BOT_TOKEN: '***' });
  assert.deepEqual(shown['backend'], { kind: 'mirai', url: 'http://127.0.0.1:8080', verifyKey: '***', qq: 42 });
  assert.equal(shown['restart'].maxDelay, 300_000);
  assert.equal(shown['stop'].timeout, 10_000);
  assert.deepEqual(shown['probes'].heartbeat, { file: join(dir, 'logs/*.log'), maxAge: 21_600_000, interval: 5000 });
  assert.deepEqual(shown['hooks'], [
    { on: ['restart.giveup'], url: 'https://***@hooks.example.com/hook/***?token=***', timeout: 10_000 },
    { on: ['child.stop'], command: ['./notify.sh'], timeout: 3000 },
  ]);
  assert.equal(shown['state'].file, join(dir, '.bot-watchdog', 'state.json'));
  for (const secret of ['the-Verify-Key', 'sk-abcdefgh', 'tok-123456', 'zzz-top', 'ops:pw', 'T0123456789ABCDEFGHIJ']) {
    assert.ok(!run.stdout.includes(secret), `${secret} shown`);
  }
  assert.equal(shown['configFile'], undefined);
});

test('config with a bad config: one line per problem, exit 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-config-'));
  writeFileSync(join(dir, 'watchdog.config.json'), JSON.stringify({ restart: { polcy: 'always' }, hooks: [{ on: ['chld.stop'], command: ['x'] }] }));
  const run = cli(['config'], dir);
  assert.equal(run.code, 2);
  assert.equal(run.stdout, '');
  assert.deepEqual(run.stderr.trim().split('\n'), [
    'watchdog.config.json: restart.polcy: unknown key (did you mean "policy"?)',
    'watchdog.config.json: hooks[0].on[0]: expected a log event name or "*" (did you mean "child.stop"?), got "chld.stop"',
  ]);
});
