// A long-running `run` keeps for good whatever it loads (bench/overhead.ts measures its RSS): it
// must not load what the config does not use. Asserted by the modules loaded, not by memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, fixture } from '../helpers/watchdog-process.js';

function runImports(config: string, cwd: string): { status: number | null; imports: string[] } {
  const run = spawnSync(process.execPath, ['--import', fixture('trace-imports/register.mjs'), BIN, 'run', '--config', config, '--log-format', 'json'], {
    cwd,
    encoding: 'utf8',
  });
  const imports = run.stderr.split('\n').filter((l) => l.startsWith('import ')).map((l) => l.slice(7));
  return { status: run.status, imports };
}

test('a run loads no zod; without a backend no ws; never tree-kill or pino-pretty on Linux', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-run-lazy-'));
  const config = join(dir, 'watchdog.config.json');
  writeFileSync(config, JSON.stringify({ command: ['true'], restart: { policy: 'never' } }));

  const run = runImports(config, dir);
  assert.equal(run.status, 0);
  assert.ok(run.imports.some((url) => url.includes('/node_modules/pino/')), 'the trace sees CommonJS modules too');
  assert.ok(run.imports.some((url) => url.includes('/node_modules/valibot/')), 'the config is validated on every start');
  for (const unused of ['/node_modules/zod/', '/node_modules/ws/', '/node_modules/tree-kill/', '/node_modules/pino-pretty/']) {
    assert.deepEqual(run.imports.filter((url) => url.includes(unused)), [], `${unused} was loaded`);
  }
});
