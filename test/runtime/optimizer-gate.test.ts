import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OptimizerRelease, holdOptimizer, userChoseOptimizer } from '../../src/runtime/optimizer-gate.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { BIN } from '../helpers/watchdog-process.js';

test("the user's node flags and BOT_WATCHDOG_TURBOFAN=on decide over the hold, in every spelling V8 takes", () => {
  const chosen = [
    ['--no-opt'], ['--turbofan'], ['--noopt'], ['--no_opt'], ['--turbofan'], ['--no-turbofan'], ['--no_turbofan'], ['--jitless'],
    ['--lite-mode'], ['--lite_mode'], ['--max-opt=2'], ['--max_opt=0'], ['--turbo-filter=~'], ['--title', 'x', '--opt'],
  ];
  for (const argv of chosen) assert.equal(userChoseOptimizer(argv, undefined), true, argv.join(' '));
  assert.equal(userChoseOptimizer([], '--max-old-space-size=64 --jitless'), true);
  for (const argv of [['--max-semi-space-size=1', '--optimize-for-size'], ['--trace-opt'], ['--enable-source-maps'], ['--opt-foo']]) {
    assert.equal(userChoseOptimizer(argv, '--max-old-space-size=64'), false, argv.join(' '));
  }
  const flags: string[] = [];
  const setFlags = (f: string) => flags.push(f);
  const v8Version = '11.3.244.8-node.38';
  assert.equal(holdOptimizer({ execArgv: ['--jitless'], env: {}, v8Version, setFlags }), false);
  assert.equal(holdOptimizer({ execArgv: [], env: { BOT_WATCHDOG_TURBOFAN: 'on' }, v8Version, setFlags }), false);
  assert.equal(holdOptimizer({ execArgv: [], env: {}, v8Version: '12.4.254.21-node.33', setFlags }), false, 'only on V8 11, where it is measured');
  assert.equal(flags.length, 0);
  assert.equal(holdOptimizer({ execArgv: [], env: { BOT_WATCHDOG_TURBOFAN: 'auto' }, v8Version, setFlags }), true);
  assert.deepEqual(flags, ['--no-turbofan']);
});

test('on this V8 the hold really stops TurboFan, and the release really starts it', { skip: !process.versions.v8.startsWith('11.') && 'V8 11 only' }, () => {
  const gateUrl = new URL('../../src/runtime/optimizer-gate.ts', import.meta.url).href;
  const script = `
    const { holdOptimizer, OptimizerRelease } = await import(${JSON.stringify(gateUrl)});
    // Named functions, so that the trace says which ones were optimized.
    const hot = (label) => (0, eval)('(function loop_' + label + '() { function hot_' + label + '(i) { return i % 7; } let s = 0; for (let i = 0; i < 2e6; i++) s += hot_' + label + '(i); return s; })')();
    if (!holdOptimizer({ execArgv: [], env: {} })) throw new Error('not held');
    hot('held');
    // The real release path, with V8's real flags: one busy sample.
    let due, cpu = 0, at = 0;
    const clock = { now: () => at, setTimeout: (fn) => ((due = fn), {}), clearTimeout: () => {} };
    const release = new OptimizerRelease({ clock, cpuMicros: () => cpu, onRelease: () => console.log('--- released') });
    release.start();
    cpu += 2e6; at += 2000; due();
    hot('released');
  `;
  // Optimizations done on the main thread: each one is traced before the loop that asked for it ends.
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--trace-opt', '--no-concurrent-recompilation', '--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    encoding: 'utf8',
  });
  assert.match(out, /--- released/);
  assert.doesNotMatch(out, /completed (optimizing|compiling) .*(loop|hot)_held/, 'nothing of ours optimized while held');
  assert.match(out, /completed (optimizing|compiling) .*(loop|hot)_released/, 'optimized once released');
});

function gate(cpuPerWindowMs: number[], options: { held?: boolean } = {}) {
  const clock = new FakeClock();
  const flags: string[] = [];
  const releases: { cpuPercent: number; windowMs: number }[] = [];
  let cpuMicros = 0;
  let window = 0;
  const release = new OptimizerRelease({
    clock,
    setFlags: (f) => flags.push(f),
    isHeld: () => options.held ?? true,
    onRelease: (info) => releases.push(info),
    // CPU used during each 2 s window, in ms, as the process would report it.
    cpuMicros: () => cpuMicros,
  });
  const advanceWindow = async () => {
    cpuMicros += (cpuPerWindowMs[window++] ?? 0) * 1000;
    await clock.advance(2000);
  };
  return { clock, flags, releases, release, advanceWindow };
}

test('an idle watchdog keeps TurboFan held; the first busy window lets it go, once', async () => {
  // 0.3 % of a core, then a restart (4 %), then a flood (60 %), then busy again.
  const g = gate([6, 6, 80, 6, 1200, 1500, 1500]);
  g.release.start();
  for (let i = 0; i < 4; i++) await g.advanceWindow();
  assert.equal(g.flags.length, 0);
  assert.equal(g.release.released, false);
  await g.advanceWindow();
  assert.deepEqual(g.flags, ['--turbofan']);
  assert.deepEqual(g.releases, [{ cpuPercent: 60, windowMs: 2000 }]);
  assert.equal(g.release.released, true);
  await g.advanceWindow();
  await g.advanceWindow();
  assert.deepEqual(g.flags, ['--turbofan'], 'released once');
  assert.equal(g.clock.pending(), 0, 'no timer left once released');
});

test('steady work lets it go too: 2 % of a core averaged over a minute, never the idle 0.3 %', async () => {
  // 1.8 % for a minute and more: below both rules.
  const idle = gate(Array(40).fill(36));
  idle.release.start();
  for (let i = 0; i < 40; i++) await idle.advanceWindow();
  assert.equal(idle.flags.length, 0);
  // 4.5 % in every sample (a bot printing 230 KB/s): under the burst rule, over the steady one.
  const steady = gate(Array(40).fill(90));
  steady.release.start();
  for (let i = 0; i < 29; i++) await steady.advanceWindow();
  assert.equal(steady.flags.length, 0, 'not before a minute of samples');
  await steady.advanceWindow();
  assert.deepEqual(steady.flags, ['--turbofan']);
  assert.deepEqual(steady.releases, [{ cpuPercent: 4.5, windowMs: 60_000 }]);
});

test('a report that throws does not escape the timer', async () => {
  const clock = new FakeClock();
  let cpu = 0;
  const flags: string[] = [];
  const release = new OptimizerRelease({
    clock,
    isHeld: () => true,
    setFlags: (f) => flags.push(f),
    cpuMicros: () => cpu,
    onRelease: () => {
      throw new Error('the log is gone');
    },
  });
  release.start();
  cpu += 2_000_000;
  await clock.advance(2000);
  assert.equal(release.released, true);
  assert.deepEqual(flags, ['--turbofan']);
});

test('nothing is watched where nothing is held (the user chose the flags), and stop clears the timer', async () => {
  const notHeld = gate([1500], { held: false });
  notHeld.release.start();
  assert.equal(notHeld.clock.pending(), 0);
  await notHeld.advanceWindow();
  assert.equal(notHeld.flags.length, 0);

  const stopped = gate([6, 1500]);
  stopped.release.start();
  await stopped.advanceWindow();
  stopped.release.stop();
  assert.equal(stopped.clock.pending(), 0);
  await stopped.advanceWindow();
  assert.equal(stopped.flags.length, 0);
});

/** The built CLI with a bot that floods its stdout; resolves with the watchdog's events until `until` is seen or `ms` pass. */
function floodRun(nodeArgs: string[], until: string, ms: number): Promise<string[]> {
  const bot = "const chunk = ('x'.repeat(1023) + '\\n').repeat(64); (function w() { while (process.stdout.write(chunk)); process.stdout.once('drain', w); })();";
  // A folder of its own: no config file, the state file in it.
  const cwd = mkdtempSync(join(tmpdir(), 'bw-optimizer-'));
  const child = spawn(process.execPath, [...nodeArgs, BIN, 'run', '--log-format', 'json', '--', process.execPath, '-e', bot], {
    cwd,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const events: string[] = [];
  return new Promise((resolve, reject) => {
    let partial = '';
    const timer = setTimeout(() => child.kill('SIGTERM'), ms);
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        let event: string | undefined;
        try {
          event = (JSON.parse(line) as { event?: string }).event;
        } catch {
          continue; // the bot's own stderr
        }
        if (!event) continue;
        events.push(event);
        if (event === until) child.kill('SIGTERM');
      }
    });
    child.once('error', reject);
    child.once('exit', () => {
      clearTimeout(timer);
      rmSync(cwd, { recursive: true, force: true });
      resolve(events);
    });
  });
}

test('the real CLI lets TurboFan go when its bot floods it, and leaves it alone under `node --opt`', async () => {
  const held = await floodRun([], 'watchdog.busy', 30_000);
  assert.ok(held.includes('watchdog.busy'), `watchdog.busy within 30 s of a flood: ${held.join(' ')}`);
  assert.ok(held.indexOf('child.spawn') < held.indexOf('watchdog.busy'));
  assert.equal(held.at(-1), 'watchdog.exit');

  // At least three sample windows of a flood.
  const chosen = await floodRun(['--turbofan'], 'none', 7000);
  assert.ok(chosen.includes('child.spawn'));
  assert.ok(!chosen.includes('watchdog.busy'), `no watchdog.busy when the user's flags decide: ${chosen.join(' ')}`);
});
