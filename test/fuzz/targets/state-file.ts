// The state file reader on any content — another process may have written it, or half of it:
// `ok` with a state that reads back the same, `missing` or `unreadable` with a one-line reason;
// never a throw. Adapter: readStateFile, parseState (src/state/state-file.ts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { parseState, readStateFile } from '../../../src/state/state-file.js';
import { sampleState } from '../../state/sample-state.js';
import { check, isOneLine, ODD_KEYS, type FuzzTarget } from '../target.js';

/** A valid state with one field replaced, removed or added at any depth. */
const mutated = fc
  .record({ path: fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), value: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(undefined)), extra: fc.option(fc.constantFrom(...ODD_KEYS)) })
  .map(({ path, value, extra }) => {
    const state = sampleState() as unknown as Record<string, unknown>;
    let at: Record<string, unknown> = state;
    for (const [i, step] of path.entries()) {
      const keys = Object.keys(at);
      if (keys.length === 0) break;
      const key = keys[step % keys.length] as string;
      const next = at[key];
      if (i === path.length - 1 || next === null || typeof next !== 'object') {
        if (extra) at[extra] = value;
        else if (value === undefined) delete at[key];
        else at[key] = value;
        break;
      }
      at = next as Record<string, unknown>;
    }
    return JSON.stringify(state);
  });

const content = fc.oneof(
  mutated,
  mutated.chain((text) => fc.nat({ max: text.length }).map((cut) => text.slice(0, cut))),
  fc.jsonValue().map((value) => JSON.stringify(value) ?? ''),
  fc.string({ maxLength: 80 }),
);

export const stateFile: FuzzTarget<{ text: string; viaFile: boolean }> = {
  name: 'state-file',
  about: 'the state file reader on any content: ok (and reads back the same), or unreadable with a one-line reason; never a throw',
  runs: 400,
  arbitrary: () => fc.record({ text: content, viaFile: fc.boolean() }),
  property: ({ text, viaFile }) => {
    if (viaFile) {
      const dir = mkdtempSync(join(tmpdir(), 'bw-fuzz-state-'));
      try {
        const file = join(dir, 'state.json');
        writeFileSync(file, text);
        const read = readStateFile(file);
        check(read.status === 'ok' || (read.status === 'unreadable' && isOneLine(read.reason)), () => `read ${JSON.stringify(read)}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      return;
    }
    let state;
    try {
      state = parseState(text);
    } catch (error) {
      check((error as Error).constructor === Error, () => `a ${(error as Error).name}, not a reason: ${(error as Error).message}`);
      check(isOneLine((error as Error).message), () => 'a reason of several lines');
      return;
    }
    check(isDeepStrictEqual(parseState(JSON.stringify(state)), state), () => 'the state does not read back the same');
  },
};
