import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { strayCommandWord, strayWordMessage } from '../../src/cli-stray-word.js';
import { runWatchdog } from '../helpers/watchdog-process.js';

const require = createRequire(import.meta.url);
const { Command } = require('commander') as typeof import('commander');

/**
 * A folder with a watchdog.config.json (restart on failure only) and, on PATH, programs named
 * `stauts`, `inti` and `bw-fake-bot` that append their name to a file when run.
 */
function setup(): { dir: string; env: NodeJS.ProcessEnv; ran: () => string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'bw-stray-'));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const log = join(dir, 'ran.txt');
  for (const name of ['stauts', 'inti', 'bw-fake-bot']) {
    const path = join(bin, name);
    writeFileSync(path, `#!/bin/sh\necho ${name} >> '${log}'\n`);
    chmodSync(path, 0o755);
  }
  writeFileSync(join(dir, 'watchdog.config.json'), JSON.stringify({ command: ['bw-fake-bot'], restart: { policy: 'on-failure' } }));
  return {
    dir,
    env: { PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` },
    ran: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []),
  };
}

for (const [argv, expected] of [
  [['stauts'], 'unknown command "stauts" (did you mean "status"?); to supervise a program with that name: bot-watchdog -- stauts'],
  [['inti'], 'unknown command "inti" (did you mean "init"?); to supervise a program with that name: bot-watchdog -- inti'],
  [['chek', '--json'], 'unknown command "chek" (did you mean "check"?); to supervise a program with that name: bot-watchdog -- chek --json'],
  [['--log-format', 'json', 'bw-fake-bot', 'a b'], 'unknown command "bw-fake-bot"; to supervise a program with that name: bot-watchdog --log-format json -- bw-fake-bot \'a b\''],
  [['-c', 'watchdog.config.json', 'stauts'], 'unknown command "stauts" (did you mean "status"?); to supervise a program with that name: bot-watchdog -c watchdog.config.json -- stauts'],
] as const) {
  test(`bot-watchdog ${argv.join(' ')}: an unknown command, exit 2, nothing started`, async () => {
    const { dir, env, ran } = setup();
    const run = runWatchdog([...argv], { cwd: dir, env });
    assert.deepEqual(await run.exited, { code: 2, signal: null });
    assert.equal(run.stderr(), `${expected}\n`);
    assert.equal(run.stdout(), '');
    assert.deepEqual(ran(), []);
  });
}

for (const argv of [
  ['--', 'stauts'],
  ['run', '--', 'stauts'],
  ['run', 'stauts'],
  ['--log-format', 'json', '--', 'stauts'],
  ['--log-format=json', '--', 'stauts'],
  ['run', '--log-level', 'warn', 'stauts'],
]) {
  test(`bot-watchdog ${argv.join(' ')}: still supervises the program`, async () => {
    const { dir, env, ran } = setup();
    const run = runWatchdog(argv, { cwd: dir, env });
    assert.deepEqual(await run.exited, { code: 0, signal: null }, run.stderr());
    assert.deepEqual(ran(), ['stauts']);
  });
}

test('without a word: the config\'s command runs (with options before it too)', async () => {
  for (const argv of [[], ['-c', 'watchdog.config.json'], ['--config=watchdog.config.json', '--log-format', 'json']]) {
    const { dir, env, ran } = setup();
    const run = runWatchdog(argv, { cwd: dir, env });
    assert.deepEqual(await run.exited, { code: 0, signal: null }, `${argv.join(' ')}: ${run.stderr()}`);
    assert.deepEqual(ran(), ['bw-fake-bot'], argv.join(' '));
  }
});

test('the known subcommands come from commander: a new one is recognised without a list to update', () => {
  const program = new Command().name('bot-watchdog');
  const run = program.command('run', { isDefault: true }).option('-c, --config <file>').option('--json').argument('[command...]');
  program.command('status');
  assert.deepEqual(strayCommandWord(['demo'], program, run), { word: 'demo', index: 0 });
  program.command('demo').alias('try');
  program.command('config');
  assert.equal(strayCommandWord(['demo'], program, run), undefined);
  assert.equal(strayCommandWord(['try'], program, run), undefined);
  assert.equal(strayCommandWord(['config', '--config', 'x'], program, run), undefined);
  assert.equal(strayCommandWord(['help'], program, run), undefined);
  const stray = strayCommandWord(['dmeo'], program, run)!;
  assert.equal(strayWordMessage(['dmeo'], stray, program), 'unknown command "dmeo" (did you mean "demo"?); to supervise a program with that name: bot-watchdog -- dmeo');
  // An option's value is not a word; a boolean option takes none; -cfile carries its value.
  assert.equal(strayCommandWord(['--config', 'status.json'], program, run), undefined);
  assert.equal(strayCommandWord(['-cstatus.json', '--', 'x'], program, run), undefined);
  assert.deepEqual(strayCommandWord(['--json', 'x'], program, run), { word: 'x', index: 1 });
  // Unknown options are left to commander.
  assert.equal(strayCommandWord(['--bogus', 'x'], program, run), undefined);
});
