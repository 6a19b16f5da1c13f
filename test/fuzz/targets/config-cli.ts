// The real CLI on a config file of any bytes or JSON: `config` exits 0 (JSON on stdout) or 2 (one
// line per problem on stderr), never an internal error, a stack trace or a hang.
// Adapter: bin/bot-watchdog.js `config --config <file>` (built code: npm run build first).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { BIN } from '../../helpers/watchdog-process.js';
import { check, KNOWN_OPEN, ODD_KEYS, type FuzzTarget } from '../target.js';

/** A hang, not a slow start on a loaded machine (load averages of 18 on 2 cores were seen). */
const TIMEOUT_MS = 60_000;

function content(): fc.Arbitrary<string | Uint8Array> {
  const keys = fc.constantFrom('command', 'env', 'restart', 'probes', 'backend', 'status', 'hooks', ...ODD_KEYS, ...(KNOWN_OPEN.protoKey ? [] : ['__proto__']));
  const json = fc.dictionary(keys, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }).map((value) => JSON.stringify(value));
  const nested = fc.integer({ min: 1, max: KNOWN_OPEN.deepNesting ? 40 : 50_000 }).map((depth) => `{"command":["x"],"env":${'['.repeat(depth)}${']'.repeat(depth)}}`);
  return fc.oneof(json, fc.jsonValue().map((value) => JSON.stringify(value)), fc.string(), fc.uint8Array({ maxLength: 200 }), nested);
}

export const configCli: FuzzTarget<string | Uint8Array> = {
  name: 'config-cli',
  about: '`bot-watchdog config` on a file of any content: exit 0 with JSON or exit 2 with problem lines; no stack trace, no internal error, no hang',
  runs: 3,
  arbitrary: content,
  property: (text) => {
    const dir = mkdtempSync(join(tmpdir(), 'bw-fuzz-cli-'));
    try {
      const file = join(dir, 'watchdog.config.json');
      writeFileSync(file, text);
      const result = spawnSync(process.execPath, [BIN, 'config', '--config', file], { cwd: dir, encoding: 'utf8', timeout: TIMEOUT_MS, env: { PATH: process.env['PATH'] ?? '' } });
      check(result.error === undefined, () => `did not finish in ${TIMEOUT_MS} ms: ${result.error?.message}`);
      const said = `exit ${result.status}; stderr: ${result.stderr.slice(0, 600)}`;
      check(result.status === 0 || result.status === 2, () => said);
      check(!/internal error|^\s+at /m.test(result.stderr), () => `a stack trace or internal error: ${said}`);
      if (result.status === 0) JSON.parse(result.stdout);
      else check(result.stderr.trim() !== '' && result.stderr.split('\n').filter(Boolean).every((line) => line.includes('watchdog.config.json')), () => `problem lines not naming the file: ${said}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
