// `check` must start fast (bench/check.ts measures it): it must not load what it does not use.
// This asserts which modules a check loads, which does not depend on the machine's speed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { identityOf } from '../../src/state/identity.js';
import { writeStateFile } from '../../src/state/state-file.js';
import { sampleState } from '../state/sample-state.js';
import { BIN, fixture } from '../helpers/watchdog-process.js';

function checkImports(args: string[], cwd: string): { status: number | null; imports: string[] } {
  const run = spawnSync(process.execPath, ['--import', fixture('trace-imports/register.mjs'), BIN, 'check', ...args], { cwd, encoding: 'utf8' });
  const lines = run.stderr.split('\n');
  const imports = [...lines.filter((l) => l.startsWith('import ')).map((l) => l.slice(7)), ...lines.filter((l) => l.startsWith('builtin ')).map((l) => l.slice(8))];
  return { status: run.status, imports };
}

// (log/redact.js, small and without dependencies, scrubs check's output: it may load. So may the
// event catalogue's names, log/events.js: the config's validation names hook events. backend.listen
// is parsed by net/listen-address.js, outside dist/backend/.)
test('a check loads neither pino nor the supervisor nor croner nor node:crypto (nothing cached: every run validates)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-lazy-'));
  const config = join(dir, 'watchdog.config.json');
  writeFileSync(config, JSON.stringify({ command: ['python3', 'main.py'] }));
  const me = identityOf(process.pid);
  writeStateFile(join(dir, '.bot-watchdog', 'state.json'), sampleState({ watchdog: { ...sampleState().watchdog, ...me }, bot: { ...sampleState().bot!, ...me } }));

  const run = checkImports(['--config', config, '--only', 'bot-process'], dir);
  assert.equal(run.status, 0);
  for (const heavy of ['node:crypto', '/node_modules/croner/', '/node_modules/pino', '/node_modules/execa/', '/node_modules/ws/', '/dist/supervisor/supervisor.js', '/dist/log/logger.js', '/dist/log/line-sink.js', '/dist/log/pretty.js', '/dist/backend/']) {
    assert.deepEqual(run.imports.filter((url) => url.includes(heavy)), [], `${heavy} was loaded`);
  }
});

test('with a backend configured, a check of the bot alone loads no backend probe and no ws', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-lazy-'));
  const config = join(dir, 'watchdog.config.json');
  writeFileSync(config, JSON.stringify({ command: ['python3', 'main.py'], backend: { kind: 'mirai', url: 'http://127.0.0.1:1', verifyKey: 'k', qq: 1 } }));
  const me = identityOf(process.pid);
  writeStateFile(join(dir, '.bot-watchdog', 'state.json'), sampleState({ watchdog: { ...sampleState().watchdog, ...me }, bot: { ...sampleState().bot!, ...me } }));
  const run = checkImports(['--config', config, '--only', 'bot-process'], dir);
  assert.equal(run.status, 0);
  assert.deepEqual(run.imports.filter((url) => url.includes('/node_modules/ws/') || url.includes('/dist/backend/')), []);
  const all = checkImports(['--config', config], dir);
  assert.equal(all.status, 1, 'mirai is not running');
  assert.ok(all.imports.some((url) => url.includes('/node_modules/ws/')), 'the mirai-ws probe loads ws when it runs');
});
