// The rule of issue 17.14, checked on a PATH made for the test: a tool there runs the test, a tool
// missing skips it naming the Debian package, and under CI=true a missing tool fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasTool, MissingToolError, requireBotRuntime, requireTool, requireTools } from './require-tool.js';

function pathWith(tools: string[]): { PATH: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'bw-tools-'));
  for (const tool of tools) {
    writeFileSync(join(dir, tool), '#!/bin/sh\n');
    chmodSync(join(dir, tool), 0o755);
  }
  writeFileSync(join(dir, 'not-executable'), '');
  return { PATH: dir, dir };
}

test('present: no skip; absent: a skip naming the tool and its Debian package', (t) => {
  const { PATH, dir } = pathWith(['promtool']);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.equal(requireTool('promtool', 'prometheus', { PATH }), false);
  assert.equal(requireTool('yamllint', 'yamllint', { PATH }), 'needs yamllint, which is not installed: apt-get install yamllint (Debian package "yamllint")');
  assert.equal(hasTool('not-executable', PATH), false, 'a file that cannot run is not the tool');
  assert.equal(hasTool(join(dir, 'promtool')), true, 'an absolute path');
  assert.equal(requireTools([['promtool', 'prometheus'], ['chromium', 'chromium']], { PATH }), 'needs chromium, which is not installed: apt-get install chromium (Debian package "chromium")');
});

test('under CI=true a missing tool is a failure, never a skip', (t) => {
  const { PATH, dir } = pathWith(['promtool']);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.equal(requireTool('promtool', 'prometheus', { PATH, CI: 'true' }), false);
  assert.throws(
    () => requireTool('python3', 'python3', { PATH, CI: 'true' }),
    (error: Error) => error instanceof MissingToolError && /needs python3.*apt-get install python3.*CI=true, where a missing tool is a failure/.test(error.message),
  );
  assert.equal(typeof requireTool('python3', 'python3', { PATH, CI: 'false' }), 'string', 'only CI=true turns skips into failures');
});

test('fixture bots: only the Python ones need python3', () => {
  assert.equal(requireBotRuntime('mirai-js-bot.mjs'), false);
});
