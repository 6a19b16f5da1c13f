import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseLogLines } from '../helpers/log-sink.js';
import { REPO_ROOT } from '../helpers/watchdog-process.js';
import { requireTool } from '../helpers/require-tool.js';

/** Processes whose command line mentions `text` (other than this test's own). */
function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmdline.includes(text)) found.push(`${name}: ${cmdline}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

test('demo from the installed package: the deaf bot is caught and back, SIGINT exits 130 and leaves no process', { skip: requireTool('npm', 'npm'), timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-demo-pkg-'));
  try {
    // The package as npm would publish it (dist was built by `npm test`), installed from its tarball.
    const packed = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: REPO_ROOT, encoding: 'utf8' });
    const tarball = join(dir, (JSON.parse(packed) as Array<{ filename: string }>)[0]!.filename);
    const app = join(dir, 'app');
    execFileSync('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), '{ "name": "demo-app", "private": true }\n');
    execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', tarball], { cwd: app, stdio: 'pipe' });
    const bin = join(app, 'node_modules', '.bin', 'bot-watchdog');

    const child = spawn(bin, ['demo', '--every', '2s', '--log-format', 'json'], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    const back = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no recovery line within 30s\n--- stdout ---\n${out}\n--- stderr ---\n${err.slice(-3000)}`)), 30_000);
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        if (/the bot is back \(pid \d+, linked again\) \d+ ms after the break/.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', () => reject(new Error(`the demo exited early\n${out}\n${err.slice(-3000)}`)));
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    await back;
    assert.match(out, /the watchdog detected the line "demo-bot: WebSocket 通道意外关闭.*" \(output-match\) \d+ ms after the break/);
    child.kill('SIGINT');
    const { code, signal } = await exited;
    assert.equal(signal, null);
    assert.ok(code === 130 || code === 0, `exit ${code}\n${err.slice(-2000)}`);
    assert.match(out, /demo: \d+ breaks?\. the bot printed its error \(\d+\): detected in median \d+ ms/);
    // With --log-format json, stderr carries the usual JSON lines.
    const logs = parseLogLines(err);
    assert.ok(logs.some((r) => r.event === 'child.stop' && r['reason'] === 'output-match'), err.slice(-2000));
    assert.equal(logs.at(-1)?.event, 'watchdog.exit');
    assert.deepEqual(processesMentioning(app), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
