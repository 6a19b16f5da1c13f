// Health checks must give `check --timeout` less time than the orchestrator's own timeout: a
// frozen backend then gets "unhealthy" with a reason from check, instead of check being killed
// mid-probe with nothing said (issue 11, item 15).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { createProgram } from '../../src/cli.js';
import { parseDuration } from '../../src/config/duration.js';
import { REPO_ROOT } from '../helpers/watchdog-process.js';
import { codeBlocks, documentationFiles, exampleFiles, invocations } from './cli-usage.js';

/** check's default --timeout. */
const CHECK_DEFAULT_MS = 10_000;
/** Room for Node to start, load the config and print, under load. */
const MARGIN_MS = 2000;

interface HealthCheck {
  where: string;
  checkMs: number;
  orchestratorMs: number;
}

const commands = createProgram(() => {}).commands.map((c) => c.name());

/** The --timeout of the bot-watchdog check in this command line, or undefined if it runs no check. */
function checkTimeout(commandLine: string, where: string): number | undefined {
  const check = invocations(commandLine, where, 1, commands).find((i) => i.command === 'check');
  if (!check) return undefined;
  const at = check.args.indexOf('--timeout');
  if (at === -1) return CHECK_DEFAULT_MS;
  const value = parseDuration(check.args[at + 1] ?? '');
  assert.ok(value !== undefined, `${where}: --timeout ${check.args[at + 1]}`);
  return value;
}

/** Docker's durations: 30s, 1m30s, 500ms. */
function dockerDuration(text: string): number {
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) total += Number(n) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as 'ms' | 's' | 'm' | 'h'];
  return total;
}

function fromDockerfile(text: string, where: string): HealthCheck[] {
  const joined = text.replace(/\\\n/g, ' ');
  const out: HealthCheck[] = [];
  for (const [instruction] of joined.matchAll(/^HEALTHCHECK\s.*$/gm)) {
    const timeout = /--timeout=(\S+)/.exec(instruction)?.[1];
    const checkMs = checkTimeout(instruction, where);
    if (checkMs !== undefined) out.push({ where, checkMs, orchestratorMs: timeout ? dockerDuration(timeout) : 30_000 });
  }
  return out;
}

/** Kubernetes exec probes (timeoutSeconds, default 1) and compose healthchecks (timeout, default 30s). */
function fromYaml(text: string, where: string): HealthCheck[] {
  const out: HealthCheck[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (node === null || typeof node !== 'object') return;
    const object = node as Record<string, unknown>;
    const exec = object['exec'] as { command?: unknown } | undefined;
    if (exec && Array.isArray(exec.command)) {
      const checkMs = checkTimeout(JSON.stringify(exec.command), where);
      if (checkMs !== undefined) out.push({ where, checkMs, orchestratorMs: Number(object['timeoutSeconds'] ?? 1) * 1000 });
    }
    if (Array.isArray(object['test'])) {
      const checkMs = checkTimeout(JSON.stringify(object['test']), where);
      if (checkMs !== undefined) out.push({ where, checkMs, orchestratorMs: dockerDuration(String(object['timeout'] ?? '30s')) });
    }
    Object.values(object).forEach(visit);
  };
  for (const doc of parseAllDocuments(text)) visit(doc.toJS());
  return out;
}

function allHealthChecks(): HealthCheck[] {
  const out: HealthCheck[] = [];
  for (const file of exampleFiles()) {
    const where = relative(REPO_ROOT, file);
    const text = readFileSync(file, 'utf8');
    if (/Dockerfile$/.test(file)) out.push(...fromDockerfile(text, where));
    if (/\.ya?ml$/.test(file)) out.push(...fromYaml(text, where));
  }
  for (const file of documentationFiles()) for (const block of codeBlocks(readFileSync(file, 'utf8'))) {
    const where = `${relative(REPO_ROOT, file)}:${block.line}`;
    if (block.lang === 'dockerfile') out.push(...fromDockerfile(block.text, where));
    if (block.lang === 'yaml') out.push(...fromYaml(block.text, where));
  }
  return out;
}

test('every health check leaves check room under the orchestrator\'s timeout', () => {
  const checks = allHealthChecks();
  // Two Dockerfiles and two Kubernetes probes in examples/, the Docker and Kubernetes recipes in docs/recipes.md.
  assert.ok(checks.filter((c) => c.where.startsWith('examples/')).length >= 4, JSON.stringify(checks));
  assert.ok(checks.filter((c) => c.where.startsWith('docs/recipes.md')).length >= 3, JSON.stringify(checks));
  const tight = checks.filter((c) => c.checkMs + MARGIN_MS > c.orchestratorMs);
  assert.deepEqual(
    tight.map((c) => `${c.where}: check --timeout ${c.checkMs}ms, the orchestrator waits ${c.orchestratorMs}ms`),
    [],
  );
});

test('the rule catches the old recipe (check\'s default 10s under a 10s HEALTHCHECK)', () => {
  const [old] = fromDockerfile('HEALTHCHECK --interval=30s --timeout=10s \\\n  CMD ["node", "/app/bin/bot-watchdog.js", "check", "--config", "/app/c.json"]', 'old');
  assert.deepEqual(old, { where: 'old', checkMs: 10_000, orchestratorMs: 10_000 });
  const [probe] = fromYaml('livenessProbe:\n  exec:\n    command: ["bot-watchdog", "check", "--timeout", "9s"]\n  timeoutSeconds: 10\n', 'k8s');
  assert.deepEqual(probe, { where: 'k8s', checkMs: 9000, orchestratorMs: 10_000 });
});
