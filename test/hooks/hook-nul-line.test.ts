// Issue 17 item 5: whatever the bot prints, hooks run. A matched line with a NUL byte reaches the
// child.stop hook: the JSON on stdin carries it intact, BOT_WATCHDOG_LINE without the NUL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture, runWatchdog } from '../helpers/watchdog-process.js';

const node = process.execPath;

test('run: a bot line with a NUL byte matches a pattern; the child.stop hook runs with the line intact on stdin', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-hook-nul-'));
  const out = join(dir, 'calls.jsonl');
  writeFileSync(
    join(dir, 'watchdog.config.json'),
    JSON.stringify({
      command: [node, fixture('bots/nul-line.mjs')],
      backend: { kind: 'none' },
      log: { format: 'json', level: 'info' },
      restart: { policy: 'never' },
      probes: { output: { patterns: ['FATAL'] } },
      hooks: [{ on: ['child.stop'], command: [node, fixture('hooks/record.mjs'), out] }],
    }),
  );
  const run = runWatchdog(['run', '--config', join(dir, 'watchdog.config.json')]);
  const { code } = await run.exited;
  assert.notEqual(code, 1, run.stderr());
  assert.deepEqual(run.logs().filter((r) => r.event === 'hook.failed'), []);
  assert.ok(existsSync(out), `the hook did not run: ${run.stderr()}`);
  const [call] = readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { env: Record<string, string>; stdin: string });
  assert.equal(call?.env['BOT_WATCHDOG_EVENT'], 'child.stop');
  assert.equal(call?.env['BOT_WATCHDOG_REASON'], 'output-match');
  assert.equal(call?.env['BOT_WATCHDOG_LINE'], 'FATAL link lost \u0001 \u00e9');
  assert.equal((JSON.parse(call!.stdin) as { line: string }).line, 'FATAL\u0000 link lost \u0001 \u00e9');
});
