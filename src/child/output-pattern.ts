import { createRequire } from 'node:module';

/**
 * probes.output.patterns run on every line the bot prints, so they must never be able to stall
 * the watchdog: they run on RE2 (re2js, pure JavaScript), whose matching time is linear in the
 * line's length whatever the pattern. `(a+)+$`, which a backtracking engine takes for ever on a
 * line of a few dozen "a"s, is as fast as any other pattern here.
 *
 * The syntax is JavaScript's (`\d`, `\u00e9`, `(?<name>…)`, `\cA` are translated) plus RE2's
 * inline flags such as `(?i)`. What RE2 cannot run in linear time — backreferences and lookaround
 * — is refused when the config is read, with the reason.
 */
export interface OutputPattern {
  /** The pattern as configured. */
  readonly source: string;
  /**
   * Whether the pattern matches anywhere in `line`. `cut`: the line goes on past the end of
   * `line` (cut at maxLineBytes, or unfinished), so its end is not a line end: `$` and `\z` never
   * match there, nor does `\b` or `\B` on the strength of the cut alone.
   */
  test(line: string, cut?: boolean): boolean;
}

export class OutputPatternError extends Error {
  constructor(
    readonly pattern: string,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'OutputPatternError';
  }
}

type Re2js = typeof import('re2js');
let re2js: Re2js | undefined;

/** Loaded only when a config has patterns (it is 260 KB of JavaScript). */
function engine(): Re2js {
  re2js ??= createRequire(import.meta.url)('re2js') as Re2js;
  return re2js;
}

/**
 * A pattern without any regular-expression syntax (`WebSocket 通道意外关闭`, the recipes'
 * patterns) matches exactly where it occurs as text: it is searched as a substring, and re2js
 * (260 KB of JavaScript and its Unicode tables, about 2 MiB of the watchdog's memory) is not
 * loaded for it.
 */
const REGEXP_SYNTAX = /[\\^$.|?*+()[\]{}]/;

/** String#isWellFormed (ES2024, in Node 20) — not in our TypeScript lib yet. */
type WellFormed = string & { isWellFormed(): boolean };

export function isLiteralPattern(source: string): boolean {
  // A lone surrogate would match half of a character as text, never in RE2.
  return source.length > 0 && !REGEXP_SYNTAX.test(source) && (source as WellFormed).isWellFormed();
}

/** Compiles a pattern; throws OutputPatternError saying why RE2 cannot run it. */
export function compileOutputPattern(source: string): OutputPattern {
  // Text found in a cut line's beginning is in the whole line: nothing to do for a cut.
  if (isLiteralPattern(source)) return { source, test: (line) => line.includes(source) };
  const unsupported = unsupportedConstruct(source);
  if (unsupported) throw new OutputPatternError(source, `${unsupported} (patterns run on RE2, in linear time)`);
  const { RE2JS } = engine();
  let compiled: InstanceType<Re2js['RE2JS']>;
  try {
    compiled = RE2JS.compile(RE2JS.translateRegExp(source));
  } catch (error) {
    const message = (error as Error).message.replace(/^error parsing regexp: /, '');
    throw new OutputPatternError(source, `invalid regular expression for RE2 (${message})`);
  }
  let cutCompiled: InstanceType<Re2js['RE2JS']> | null | undefined;
  return {
    source,
    test: (line, cut = false) => {
      if (!cut) return compiled.test(line);
      // Compiled on the first cut line only: most configs never see one.
      cutCompiled ??= compileForCut(RE2JS, source);
      // The end assertions gone, what is left at the cut is \b and \B. On `line` alone they see
      // the cut as followed by a non-word character; the line may go on with a word character
      // instead, so the match must also hold with one after the cut. (Only a pattern that tells
      // these characters apart from the real next one, right after a \b or \B at the cut, can
      // still match where the whole line does not.)
      return cutCompiled !== null && cutCompiled.test(line) && WORD_AFTER_CUT.every((next) => cutCompiled?.test(line + next));
    },
  };
}

/** The pattern for cut lines; null (a cut line never matches) where RE2 reads the rewrite otherwise. */
function compileForCut(re2: Re2js['RE2JS'], source: string): InstanceType<Re2js['RE2JS']> | null {
  try {
    return re2.compile(re2.translateRegExp(withoutEndAnchors(source)));
  } catch {
    return null;
  }
}

/** Word characters (as RE2's \b sees them) a cut line is also tested with: tried only after a match. */
const WORD_AFTER_CUT = ['_', 'a', 'Z', '0'];

/** Never matches (an empty class): what `$` and `\z` become for a cut line. */
const NEVER = '[^\\s\\S]';

/**
 * The pattern with its end anchors (`$`, `\z`, outside classes) replaced by something that never
 * matches: for a line whose end is not here. `^` stays: a cut line's beginning is a line start
 * (the rest of a cut line is never scanned).
 */
export function withoutEndAnchors(source: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i] as string;
    if (c === '\\') {
      const escaped = source.slice(i, i + 2);
      if (escaped === '\\Q') {
        // \Q…\E: quoted text, a `$` in it is a dollar sign.
        const end = source.indexOf('\\E', i + 2);
        const to = end < 0 ? source.length : end + 2;
        out += source.slice(i, to);
        i = to - 1;
        continue;
      }
      out += !inClass && escaped === '\\z' ? NEVER : escaped;
      i++;
    } else if (inClass) {
      out += c;
      if (c === ']') inClass = false;
    } else if (c === '[') {
      inClass = true;
      out += c;
      if (source[i + 1] === '^') out += source[++i] as string;
      // JavaScript's "[]" (nothing) and "[^]" (anything), as re2js translates them.
      if (source[i + 1] === ']') {
        out += source[++i] as string;
        inClass = false;
      }
    } else {
      out += c === '$' ? NEVER : c;
    }
  }
  return out;
}

/** Why a pattern cannot be used, or undefined: for config validation. */
export function outputPatternProblem(source: string): string | undefined {
  try {
    compileOutputPattern(source);
    return undefined;
  } catch (error) {
    if (error instanceof OutputPatternError) return error.reason;
    throw error;
  }
}

/**
 * JavaScript constructs that need backtracking. Checked before translation: re2js's translator
 * would turn `\k<name>` into a literal `k<name>` instead of failing.
 */
function unsupportedConstruct(source: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      const next = source[i + 1] ?? '';
      if (!inClass && /[1-9]/.test(next)) return `a backreference (\\${next}) is not supported`;
      if (!inClass && next === 'k' && source[i + 2] === '<') return 'a named backreference (\\k<…>) is not supported';
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
    } else if (c === '[') {
      inClass = true;
      if (source[i + 1] === ']') i++; // "[]]": a literal ] first in a class (RE2 reads it so)
    } else if (c === '(' && source[i + 1] === '?') {
      const rest = source.slice(i + 2, i + 4);
      if (rest.startsWith('=') || rest.startsWith('!')) return `lookahead (?${rest[0]}…) is not supported`;
      if (rest === '<=' || rest === '<!') return `lookbehind (?${rest}…) is not supported`;
    }
  }
  return undefined;
}
