import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readStateFile, writeStateFile, type StateFile } from '../../src/state/state-file.js';
import { sampleState } from './sample-state.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'bw-state-'));

test('the state file round-trips, is mode 0600 in a 0700 folder, and leaves no temp file', () => {
  const dir = join(tmp(), '.bot-watchdog');
  const file = join(dir, 'state.json');
  const state = sampleState();
  writeStateFile(file, state);
  writeStateFile(file, { ...state, restarts: 3 });
  assert.deepEqual(readStateFile(file), { status: 'ok', state: { ...state, restarts: 3 } });
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.deepEqual(readdirSync(dir), ['state.json']);
});

test('a rewrite replaces a file that had looser permissions with a 0600 one', () => {
  const file = join(tmp(), 'state.json');
  writeFileSync(file, '{}', { mode: 0o644 });
  chmodSync(file, 0o644);
  writeStateFile(file, sampleState());
  assert.equal(statSync(file).mode & 0o777, 0o600);
});

test('missing, unreadable and malformed state files are told apart, never thrown', () => {
  const dir = tmp();
  assert.deepEqual(readStateFile(join(dir, 'nope.json')), { status: 'missing' });
  assert.deepEqual(readStateFile(dir), { status: 'unreadable', reason: 'is a directory' });
  const cases: [string, RegExp][] = [
    ['{ not json', /not valid JSON/],
    ['[]', /expected an object/],
    [JSON.stringify({ ...sampleState(), version: 2 }), /unsupported version 2/],
    [JSON.stringify({ ...sampleState(), watchdog: { ...sampleState().watchdog, pid: 0 } }), /watchdog\.pid: expected a pid > 0/],
    [JSON.stringify({ ...sampleState(), state: 'dancing' }), /state: expected one of/],
    [JSON.stringify({ ...sampleState(), bot: { ...sampleState().bot, marker: 'x' } }), /bot\.marker: expected an object/],
  ];
  for (const [text, reason] of cases) {
    const file = join(dir, 'state.json');
    writeFileSync(file, text);
    const read = readStateFile(file);
    assert.equal(read.status, 'unreadable', text);
    assert.match((read as { reason: string }).reason, reason);
  }
});

test('unknown extra fields are accepted (a newer writer), a null bot is fine', () => {
  const file = join(tmp(), 'state.json');
  writeFileSync(file, JSON.stringify({ ...sampleState({ bot: null, state: 'backoff' }), future: { x: 1 } }));
  const read = readStateFile(file);
  assert.equal(read.status, 'ok');
  assert.equal((read as { state: StateFile }).state.bot, null);
});
