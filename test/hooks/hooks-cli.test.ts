import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture, runWatchdog } from '../helpers/watchdog-process.js';
import { HttpSink } from './http-sink.js';

const node = process.execPath;

function calls(file: string): Array<{ env: Record<string, string>; stdin: string }> {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { env: Record<string, string>; stdin: string });
}

test('run: hooks get restarts, the give-up and the exit (delivered before the watchdog exits); a hanging hook blocks nothing', async () => {
  const sink = await HttpSink.start();
  const dir = mkdtempSync(join(tmpdir(), 'bw-hooks-cli-'));
  const out = join(dir, 'calls.jsonl');
  const hangOut = join(dir, 'hang.jsonl');
  writeFileSync(
    join(dir, 'watchdog.config.json'),
    JSON.stringify({
      command: [node, fixture('bots/crash.mjs'), '5'],
      backend: { kind: 'none' },
      log: { format: 'json', level: 'info' },
      restart: { initialDelay: '50ms', maxDelay: '100ms', jitter: 0, limit: { count: 2, window: '1m' } },
      hooks: [
        { on: ['child.exit', 'restart.giveup', 'watchdog.exit'], command: [node, fixture('hooks/record.mjs'), out] },
        { on: ['child.spawn'], command: [node, fixture('hooks/record.mjs'), hangOut, 'hang'], timeout: '1s' },
        { on: ['*'], url: `${sink.url}/events?token=abc123secret` },
      ],
    }),
  );
  try {
    const run = runWatchdog(['run', '--config', join(dir, 'watchdog.config.json')]);
    const { code } = await run.exited;
    assert.equal(code, 3, run.stderr());
    const events = calls(out).map((c) => c.env['BOT_WATCHDOG_EVENT']);
    assert.deepEqual(events.filter((e) => e === 'child.exit').length, 3);
    assert.ok(events.includes('restart.giveup'), events.join());
    assert.ok(events.includes('watchdog.exit'), events.join());
    const exit = calls(out).find((c) => c.env['BOT_WATCHDOG_EVENT'] === 'watchdog.exit');
    assert.equal(JSON.parse(exit?.stdin ?? '{}').code, 3);
    const childExit = calls(out).find((c) => c.env['BOT_WATCHDOG_EVENT'] === 'child.exit');
    assert.equal(childExit?.env['BOT_WATCHDOG_CODE'], '5');
    assert.match(childExit?.env['BOT_WATCHDOG_PID'] ?? '', /^\d+$/);
    // The url hook saw the whole run, and no record of the hooks themselves.
    const posted = sink.received.map((r) => (JSON.parse(r.body) as { event: string }).event);
    for (const event of ['watchdog.start', 'child.spawn', 'child.exit', 'restart.scheduled', 'restart.giveup']) assert.ok(posted.includes(event), `${event} in ${posted.join()}`);
    assert.ok(!posted.some((e) => e.startsWith('hook.')));
    // The hanging spawn hooks were killed at their timeout and logged; the run was not held up by them.
    const failed = run.logs().filter((r) => r.event === 'hook.failed');
    assert.ok(failed.length >= 1, run.stderr());
    assert.ok(failed.every((r) => r['for'] === 'child.spawn' && r['timedOut'] === true));
    assert.ok(!run.stderr().includes('abc123secret'));
  } finally {
    await sink.stop();
  }
});
