// Output patterns on any line: the same answer as JavaScript's RegExp on whole lines (both the RE2
// and the plain-text path), and on a cut line a match only where the whole line, however it goes
// on, matches too (issue 17.11). Adapter: compileOutputPattern (src/child/output-pattern.ts).
import fc from 'fast-check';
import { compileOutputPattern, OutputPatternError } from '../../../src/child/output-pattern.js';
import { check, type FuzzTarget } from '../target.js';

/** Patterns in the part of the syntax where RE2 and JavaScript agree. */
const { pattern } = fc.letrec<{ pattern: string; atom: string }>((tie) => ({
  atom: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom('a', 'b', '!', ' ', 'é', '.', '\\d', '\\w', '\\s', '\\W', '[ab]', '[^a]', '[!-#]', '\\.', '\\$', '[$]', '通'),
    fc.constantFrom('^', '$', '\\b', '\\B'),
    tie('pattern').map((inner) => `(?:${inner})`),
    tie('pattern').map((inner) => `(${inner})`),
  ),
  pattern: fc.oneof(
    { depthSize: 'small' },
    tie('atom'),
    fc.tuple(tie('atom'), fc.constantFrom('*', '+', '?', '{2}', '{1,3}', '*?')).map(([a, q]) => (/^[\^$]|\\[bB]$/.test(a) ? a : `${a}${q}`)),
    fc.array(tie('atom'), { minLength: 2, maxLength: 4 }).map((atoms) => atoms.join('')),
    fc.tuple(tie('pattern'), tie('pattern')).map(([l, r]) => `${l}|${r}`),
  ),
}));

const text = (max: number) => fc.array(fc.constantFrom('a', 'b', '!', ' ', 'é', '1', '$', '通', '.', '_', 'Z', '0'), { maxLength: max }).map((c) => c.join(''));

/**
 * The characters a cut line is known to be sound for, right after the cut: every non-word one, and
 * the word characters it is tried with (output-pattern.ts). A pattern that tells another word
 * character apart from these, right after a \b or \B at the cut, is the documented limit.
 */
const SOUND_AFTER_CUT = (rest: string) => !/^\w/.test(rest) || '_aZ0'.includes(rest[0] as string);

type Case = { source: string; line: string; rest: string };

export const outputPattern: FuzzTarget<Case> = {
  name: 'output-pattern',
  about: 'output patterns: RegExp answers on whole lines; on a cut line a match only if the whole line matches whatever follows the cut',
  runs: 400,
  arbitrary: () => fc.record({ source: fc.oneof(pattern, text(6).filter((s) => s.length > 0)), line: text(12), rest: text(4).map((r) => (r === '' ? 'a' : r)) }),
  property: ({ source, line, rest }) => {
    let compiled;
    try {
      compiled = compileOutputPattern(source);
    } catch (error) {
      check(error instanceof OutputPatternError, () => `not an OutputPatternError: ${(error as Error)?.message}`);
      return;
    }
    const js = new RegExp(source, 'u');
    check(compiled.test(line) === js.test(line), () => `/${source}/ on ${JSON.stringify(line)}: ${compiled.test(line)}, RegExp says ${js.test(line)}`);
    if (compiled.test(line, true) && SOUND_AFTER_CUT(rest)) {
      check(js.test(line + rest), () => `/${source}/ matched ${JSON.stringify(line)} as a cut line, but not the whole line ${JSON.stringify(line + rest)}`);
    }
  },
};
