// Issue 16.4: init writes the bot's own interpreter — its virtual environment, its project manager
// (uv, Poetry, PDM) or its local node_modules/.bin — and says what it found and what to check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initCommand } from '../../src/commands/init.js';
import { loadConfig } from '../../src/config/load-config.js';
import { detectNodeRuntime, detectPythonRuntime } from '../../src/init/detect-runtime.js';
import { BIN } from '../helpers/watchdog-process.js';

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'bw-runtime-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const allOnPath = { onPath: () => true };

test('a .venv or venv: its python runs the script, said with what to check', () => {
  for (const venv of ['.venv', 'venv']) {
    const reading = detectPythonRuntime(folder({ [`${venv}/bin/python`]: '' }), ['bot.py'], 'nonebot2', allOnPath);
    assert.deepEqual(reading.command, [`${venv}/bin/python`, 'bot.py']);
    assert.deepEqual(reading.notes, [`found the virtual environment ${venv}: the bot runs with ${venv}/bin/python; check it has nonebot2 installed`]);
  }
  // Windows' layout.
  assert.deepEqual(detectPythonRuntime(folder({ '.venv/Scripts/python.exe': '' }), ['main.py'], 'LangBot', allOnPath).command, ['.venv/Scripts/python.exe', 'main.py']);
  // .venv wins over venv; a folder named like an interpreter is not one.
  assert.deepEqual(detectPythonRuntime(folder({ '.venv/bin/python': '', 'venv/bin/python': '' }), ['bot.py'], 'x', allOnPath).command, ['.venv/bin/python', 'bot.py']);
  const notAFile = folder({ '.venv/bin/python/inside': '' });
  assert.equal(detectPythonRuntime(notAFile, ['bot.py'], 'x', allOnPath).command, undefined);
});

test('uv.lock, poetry.lock, pdm.lock: the manager\'s run, and a note when the tool is not on PATH', () => {
  const cases = [
    ['uv.lock', ['uv', 'run', 'python', 'main.py'], 'uv'],
    ['poetry.lock', ['poetry', 'run', 'python', 'main.py'], 'poetry'],
    ['pdm.lock', ['pdm', 'run', 'python', 'main.py'], 'pdm'],
  ] as const;
  for (const [lock, command, tool] of cases) {
    const dir = folder({ [lock]: '' });
    const found = detectPythonRuntime(dir, ['main.py'], 'LangBot', allOnPath);
    assert.deepEqual(found.command, command);
    assert.deepEqual(found.notes, [`found ${lock}: the bot runs with \`${tool} run python\` (${tool} picks the project's environment)`]);
    const asked: string[] = [];
    const missing = detectPythonRuntime(dir, ['main.py'], 'LangBot', { onPath: (name) => (asked.push(name), false) });
    assert.deepEqual(missing.command, command);
    assert.deepEqual(asked, [tool]);
    assert.equal(missing.notes[1], `${tool} is not on PATH here: install it, or put the environment's python in "command"`);
  }
});

test('a lock file AND the environment it made: the environment runs directly (no sync at each start)', () => {
  const reading = detectPythonRuntime(folder({ 'uv.lock': '', '.venv/bin/python': '' }), ['main.py'], 'LangBot', allOnPath);
  assert.deepEqual(reading.command, ['.venv/bin/python', 'main.py']);
  assert.match(reading.notes[0] as string, /\(uv\.lock too: the environment is run directly, not through `uv run`/);
});

test('nothing found: the preset keeps python3 and says what to check', () => {
  const reading = detectPythonRuntime(folder({ 'bot.py': '' }), ['bot.py'], 'nonebot2', allOnPath);
  assert.equal(reading.command, undefined);
  assert.match(reading.notes[0] as string, /^no virtual environment found \(\.venv, venv, uv\.lock, poetry\.lock, pdm\.lock\): the bot runs with the system python3; check it can import nonebot2/);
});

test('Node: the project\'s own node_modules/.bin, else a note about installing or the node version', () => {
  const koishi = { name: 'koishi', args: ['start'] };
  assert.deepEqual(detectNodeRuntime(folder({ 'node_modules/.bin/koishi': '' }), koishi, 'Koishi'), {
    command: ['node_modules/.bin/koishi', 'start'],
    notes: ["found node_modules/.bin/koishi: the bot runs with the project's own Koishi"],
  });
  const installed = detectNodeRuntime(folder({ 'node_modules/x/package.json': '{}' }), undefined, 'Yunzai');
  assert.equal(installed.command, undefined);
  assert.match(installed.notes[0] as string, /^found node_modules: .* check `node --version`/);
  assert.match(detectNodeRuntime(folder({}), koishi, 'Koishi').notes[0] as string, /^no node_modules here: run your package manager's install/);
});

/** The real CLI for the first case; the same function in this process for the others (fast on a loaded machine). */
function init(dir: string, args: string[], viaCli = false) {
  let stdout: string;
  if (viaCli) {
    const run = spawnSync(process.execPath, [BIN, 'init', ...args], { cwd: dir, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    stdout = run.stdout;
  } else {
    const out: string[] = [];
    const preset = args[0] === '--preset' ? (args[1] as 'qchatgpt' | 'nonebot2') : undefined;
    assert.equal(initCommand({ cwd: dir, ...(preset ? { preset } : {}), out: (line) => out.push(line), err: (line) => out.push(line) }), 0, out.join('\n'));
    stdout = out.join('\n');
  }
  return { stdout, config: JSON.parse(readFileSync(join(dir, 'watchdog.config.json'), 'utf8')) as Record<string, any> };
}

test('init: a NoneBot2 project with .venv, a LangBot with uv.lock, a Koishi with node_modules — each gets its own command, the loader accepts it', () => {
  const nb = folder({ 'pyproject.toml': '[project]\ndependencies = ["nonebot2[fastapi]"]\n', '.venv/bin/python': '', 'bot.py': '' });
  const nbRun = init(nb, [], true);
  assert.deepEqual(nbRun.config['command'], ['.venv/bin/python', 'bot.py']);
  assert.match(nbRun.stdout, /found the virtual environment \.venv: the bot runs with \.venv\/bin\/python; check it has nonebot2 installed/);
  assert.match(nbRun.stdout, /command: \[".venv\/bin\/python","bot.py"\]/);
  assert.doesNotMatch(nbRun.stdout, /no bot\.py/);
  const nbNoScript = folder({ 'pyproject.toml': '[tool.nonebot]\nadapters = []\n# nonebot2\n' });
  assert.match(init(nbNoScript, ['--preset', 'nonebot2']).stdout, /no bot\.py here: write one with `nb generate`, or put \["nb", "run"\] in "command"/);
  // Presets always configure the backend: NapCat's link to the watchdog gives the differential verdict.
  assert.deepEqual(nbRun.config['backend'], { kind: 'onebot-reverse', listen: '127.0.0.1:9466' });
  const loaded = loadConfig({ configFile: join(nb, 'watchdog.config.json'), env: {} });
  assert.deepEqual(loaded.command, ['.venv/bin/python', 'bot.py']);
  assert.equal(loaded.cwd, nb, 'the relative interpreter path runs from the bot\'s folder');

  const langbot = folder({ 'pyproject.toml': '[project]\nname = "langbot"\n', 'uv.lock': '' });
  assert.deepEqual(init(langbot, []).config['command'], ['uv', 'run', 'python', 'main.py']);

  const koishi = folder({ 'koishi.yml': 'port: 5140\n', 'node_modules/.bin/koishi': '' });
  const k = init(koishi, []);
  assert.deepEqual(k.config['command'], ['node_modules/.bin/koishi', 'start']);
  assert.deepEqual(k.config['backend'], { kind: 'onebot-reverse', listen: '127.0.0.1:9466' });

  const qchatgpt = folder({ 'venv/bin/python': '' });
  assert.deepEqual(init(qchatgpt, ['--preset', 'qchatgpt']).config['command'], ['venv/bin/python', 'main.py']);
});
