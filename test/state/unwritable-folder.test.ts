import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../src/fs/atomic-write.js';
import { acquireInstanceLock } from '../../src/state/instance-lock.js';
import { parseLogLines } from '../helpers/log-sink.js';
import { BIN, fixture } from '../helpers/watchdog-process.js';
import { requireTool } from '../helpers/require-tool.js';
import { systemClock } from '../../src/clock/clock.js';

/**
 * The state folder cannot be written at start (read-only, or full): `run` refuses to start, since
 * its lock is what keeps a second bot off the account. It says which folder and what to do, logs
 * watchdog.exit, starts no bot and leaves no temp file behind.
 */
const tmp = () => mkdtempSync(join(tmpdir(), 'bw-unwritable-'));

function project(dir: string): string {
  const config = join(dir, 'watchdog.config.json');
  writeFileSync(config, JSON.stringify({ command: [process.execPath, fixture('bots/healthy.mjs')], log: { format: 'json' } }));
  return config;
}

/** Runs a shell script with stdout and stderr on pipes (RLIMIT_FSIZE does not apply to pipes). */
function sh(script: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn('sh', ['-c', script, 'sh', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** `ulimit -f 0` with SIGXFSZ ignored: every write to a file fails with EFBIG, as on a full disk. */
const FULL = 'trap "" XFSZ; ulimit -f 0; exec "$@"';

function assertRefused(result: { code: number | null; stdout: string; stderr: string }, folder: string, why: RegExp): void {
  assert.equal(result.code, 2, result.stderr);
  assert.equal(result.stdout, '', 'no bot was started');
  const logs = parseLogLines(result.stderr);
  const unusable = logs.find((r) => r.event === 'state.unusable');
  assert.ok(unusable, result.stderr);
  assert.equal(unusable.level, 'error');
  assert.equal(unusable.folder, folder);
  assert.match(String(unusable.msg), new RegExp(`^cannot use the state folder ${folder.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: `));
  assert.match(String(unusable.msg), why);
  assert.match(String(unusable.msg), /nothing was started: make .* writable \(or free space on its disk\), or set state\.file to a writable place$/);
  assert.deepEqual(logs.at(-1), { ...logs.at(-1), event: 'watchdog.exit', code: 2 });
  assert.equal(logs.filter((r) => r.event === 'child.spawn').length, 0);
}

test('a full disk under the state folder: exit 2, the folder and the fix named, watchdog.exit, no *.tmp left', async () => {
  for (const precreated of [false, true]) {
    const dir = tmp();
    const config = project(dir);
    const folder = join(dir, '.bot-watchdog');
    if (precreated) mkdirSync(folder);
    const result = await sh(FULL, [process.execPath, BIN, 'run', '--config', config]);
    assertRefused(result, folder, /a file size limit is exceeded/);
    assert.deepEqual(readdirSync(folder), [], 'nothing left behind');
  }
});

// The tool first (a missing one is a failure under CI=true), then the namespaces this machine allows.
const needsUnshare = requireTool('unshare', 'util-linux');
const canUnshare = !needsUnshare && spawnSync('unshare', ['-rm', 'true']).status === 0;

test('a read-only state folder: exit 2, the folder and the fix named, watchdog.exit', { skip: needsUnshare || (!canUnshare && 'needs unshare -rm (user and mount namespaces)') }, async () => {
  for (const precreated of [false, true]) {
    const dir = tmp();
    const config = project(dir);
    const folder = join(dir, '.bot-watchdog');
    if (precreated) mkdirSync(folder);
    // In a mount namespace of its own, the project folder is bind-mounted read-only over itself.
    const script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"';
    const result = await sh(`exec unshare -rm sh -c '${script}' sh "$@"`, [dir, process.execPath, BIN, 'run', '--config', config]);
    assertRefused(result, folder, /the file system is read-only/);
    assert.deepEqual(precreated ? readdirSync(folder) : readdirSync(dir), precreated ? [] : ['watchdog.config.json']);
  }
});

test('atomic writes and the lock remove their temp file on every failure', async () => {
  // rename(2) fails: the target is a non-empty folder.
  const dir = tmp();
  const target = join(dir, 'state.json');
  mkdirSync(join(target, 'inside'), { recursive: true });
  assert.throws(() => writeFileAtomic(target, 'x'));
  assert.deepEqual(readdirSync(dir), ['state.json']);

  // write(2) fails after the temp file was created (a full disk), for both writers.
  const script = `
    const { writeFileAtomic } = await import(${JSON.stringify(new URL('../../src/fs/atomic-write.ts', import.meta.url).href)});
    const { acquireInstanceLock } = await import(${JSON.stringify(new URL('../../src/state/instance-lock.ts', import.meta.url).href)});
    const { systemClock } = await import(${JSON.stringify(new URL('../../src/clock/clock.ts', import.meta.url).href)});
    const dir = process.argv[1];
    try { writeFileAtomic(dir + '/state.json', 'x'.repeat(100)); console.log('atomic: written'); } catch (e) { console.log('atomic: ' + e.code); }
    try { await acquireInstanceLock(dir + '/state.json.lock', { clock: systemClock }); console.log('lock: taken'); } catch (e) { console.log('lock: ' + e.code); }
  `;
  const full = tmp();
  const result = await sh(FULL, [process.execPath, '--import', 'tsx', '--input-type=module', '-e', script, full]);
  assert.equal(result.stdout, 'atomic: EFBIG\nlock: EFBIG\n', result.stderr);
  assert.deepEqual(readdirSync(full), []);
  // And where writing works, both leave only their file.
  writeFileAtomic(join(full, 'state.json'), 'x');
  const lock = await acquireInstanceLock(join(full, 'state.json.lock'), { clock: systemClock });
  assert.equal(lock.acquired, true);
  assert.deepEqual(readdirSync(full).sort(), ['state.json', 'state.json.lock']);
});
