// The examples checked by the real tools: yamllint, promtool, systemd-analyze; their configs by
// the real loader; their metric names against the ones the status endpoint exports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { BACKEND_KINDS } from '../../src/config/constants.js';
import { configJsonSchema } from '../../src/config/json-schema.js';
import { resolveConfig } from '../../src/config/load-config.js';
import { REPO_ROOT } from '../helpers/watchdog-process.js';
import { EXAMPLES, exampleFiles } from './cli-usage.js';
import { requireTool } from '../helpers/require-tool.js';

function run(program: string, args: string[], cwd = REPO_ROOT) {
  const result = spawnSync(program, args, { cwd, encoding: 'utf8' });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

test('yamllint: every YAML file of the examples, warnings included', { skip: requireTool('yamllint', 'yamllint') }, () => {
  const files = exampleFiles().filter((f) => /\.ya?ml$/.test(f) && !f.endsWith('.yamllint.yml'));
  assert.ok(files.length >= 5, files.join());
  const result = run('yamllint', ['-s', '-c', join(EXAMPLES, '.yamllint.yml'), ...files]);
  assert.equal(result.code, 0, result.output);
});

test('promtool: the alert rules are valid and each alert fires on its test series', { skip: requireTool('promtool', 'prometheus') }, () => {
  const dir = join(EXAMPLES, 'prometheus');
  const checked = run('promtool', ['check', 'rules', 'alerts.yml'], dir);
  assert.equal(checked.code, 0, checked.output);
  assert.match(checked.output, /SUCCESS: 5 rules found/);
  const tested = run('promtool', ['test', 'rules', 'alerts.test.yml'], dir);
  assert.equal(tested.code, 0, tested.output);
});

test('systemd-analyze verify: both units, the template as an instance; not one warning', { skip: requireTool('systemd-analyze', 'systemd') }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-units-'));
  const units = [
    join(dir, 'qchatgpt.service'),
    join(dir, 'bot-watchdog@qchatgpt.service'),
  ];
  copyFileSync(join(EXAMPLES, 'systemd', 'bot-watchdog.service'), units[0] as string);
  copyFileSync(join(EXAMPLES, 'systemd', 'bot-watchdog@.service'), join(dir, 'bot-watchdog@.service'));
  copyFileSync(join(EXAMPLES, 'systemd', 'bot-watchdog@.service'), units[1] as string);
  for (const unit of units) {
    const result = run('systemd-analyze', ['verify', unit], dir);
    assert.equal(result.code, 0, `${basename(unit)}: ${result.output}`);
    assert.equal(result.output.trim(), '', `${basename(unit)} has warnings`);
  }
});

test('systemd-analyze verify is strict enough to notice a mistake here', { skip: requireTool('systemd-analyze', 'systemd') }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-units-'));
  const unit = join(dir, 'broken.service');
  const text = readFileSync(join(EXAMPLES, 'systemd', 'bot-watchdog.service'), 'utf8').replace('KillMode=mixed', 'KillMode=mixd');
  writeFileSync(unit, text);
  const result = run('systemd-analyze', ['verify', unit], dir);
  assert.match(result.output, /kill mode/i);
});

/** The agreed metric names of the status endpoint (another part of the project exports them). */
const METRICS = new Set(['bot_watchdog_restarts_total', 'bot_watchdog_bot_up', 'bot_watchdog_probe_up', 'bot_watchdog_backend_outages_total', 'bot_watchdog_account_online']);

test('the alert rules and the Grafana dashboard use only the exported metric names, and all of them', () => {
  const used = new Set<string>();
  const rules = readFileSync(join(EXAMPLES, 'prometheus', 'alerts.yml'), 'utf8');
  const dashboard = JSON.parse(readFileSync(join(EXAMPLES, 'grafana', 'bot-watchdog.json'), 'utf8')) as { panels: Array<{ targets: Array<{ expr: string }> }> };
  const exprs = [...rules.matchAll(/^\s+expr: (.*)$/gm)].map((m) => m[1] as string);
  for (const panel of dashboard.panels) for (const target of panel.targets) exprs.push(target.expr);
  for (const expr of exprs) for (const [name] of expr.matchAll(/\bbot_watchdog_[a-z_]+/g)) used.add(name);
  assert.deepEqual([...used].filter((name) => !METRICS.has(name)), []);
  assert.deepEqual([...METRICS].filter((name) => !used.has(name)), []);
  assert.ok(dashboard.panels.length >= 5);
});

/** The watchdog configs in the examples: the Docker ones and the one in the Kubernetes ConfigMap. */
function exampleConfigs(): Array<{ where: string; raw: Record<string, unknown> }> {
  const out: Array<{ where: string; raw: Record<string, unknown> }> = [];
  for (const file of exampleFiles()) {
    if (file.endsWith('watchdog.config.json')) out.push({ where: relative(REPO_ROOT, file), raw: JSON.parse(readFileSync(file, 'utf8')) });
    if (/\.ya?ml$/.test(file)) {
      for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
        const data = (doc.toJS() as { kind?: string; data?: Record<string, string> } | null)?.data;
        const text = data?.['watchdog.config.json'];
        if (text) out.push({ where: relative(REPO_ROOT, file), raw: JSON.parse(text) });
      }
    }
  }
  return out;
}

const schemaKeys = Object.keys((configJsonSchema()['properties'] ?? {}) as Record<string, unknown>);

for (const { where, raw } of exampleConfigs()) {
  const needs: string[] = [];
  if ((raw['backend'] as { kind?: string } | undefined)?.kind === 'onebot-reverse' && !(BACKEND_KINDS as readonly string[]).includes('onebot-reverse')) {
    needs.push('backend.kind "onebot-reverse" (issue 10)');
  }
  if ('status' in raw && !schemaKeys.includes('status')) needs.push('the status endpoint\'s "status" keys (issue 9)');
  test(`${where}: the real loader accepts the example config`, { skip: needs.length > 0 ? `needs ${needs.join(' and ')} in the schema` : false }, () => {
    const config = resolveConfig(raw, { env: { MIRAI_VERIFY_KEY: 'k', NAPCAT_WATCHDOG_TOKEN: 't', BOT_WATCHDOG_STATUS_TOKEN: 'a-token-of-32-characters-0123456' }, cwd: '/app' });
    assert.ok(config.command.length > 0);
  });
}
