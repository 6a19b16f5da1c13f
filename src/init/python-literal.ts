/**
 * Reads one Python literal — what `ast.literal_eval` accepts, minus bytes and complex numbers:
 * dicts, lists, tuples, sets, strings (with prefixes r/u, implicit concatenation, triple quotes),
 * ints, floats, True, False, None, unary minus — from source text, without running anything.
 * Anything else (a name, a call, an f-string, an operator) is a PythonLiteralError.
 */
export class PythonLiteralError extends Error {}

/** Python's own parser refuses literals nested deeper than this ("too many nested parentheses"). */
export const MAX_NESTING = 200;

export type PyValue = string | number | boolean | null | PyValue[] | { [key: string]: PyValue };

/** Parses the literal assigned to `name` at the top level (`name = {...}`), or undefined when there is none. */
export function readAssignment(source: string, name: string): PyValue | undefined {
  const pattern = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*(?::[^=\\n]*)?=(?!=)`, 'm');
  const match = pattern.exec(source);
  if (!match) return undefined;
  const parser = new Parser(source, match.index + match[0].length);
  return parser.value();
}

/** Parses a whole text that is one literal. */
export function parseLiteral(text: string): PyValue {
  const parser = new Parser(text, 0);
  const value = parser.value();
  parser.end();
  return value;
}

class Parser {
  /** Open brackets: newlines inside them are whitespace. */
  private depth = 0;
  /** Values being read inside each other (brackets and signs): bounded, never a stack overflow. */
  private nesting = 0;

  constructor(
    private readonly text: string,
    private pos: number,
  ) {}

  value(): PyValue {
    if (++this.nesting > MAX_NESTING) this.fail(`a value nested deeper than ${MAX_NESTING} levels`);
    try {
      return this.valueHere();
    } finally {
      this.nesting--;
    }
  }

  private valueHere(): PyValue {
    this.skip();
    const c = this.text[this.pos];
    if (c === undefined) this.fail('expected a value');
    if (c === '{') return this.dict();
    if (c === '[') return this.sequence(']');
    if (c === '(') return this.sequence(')', true);
    if (c === '-' || c === '+') {
      this.pos++;
      const operand = this.value();
      if (typeof operand !== 'number') this.fail('a sign before something that is not a number');
      return c === '-' ? -operand : operand;
    }
    if (/[0-9.]/.test(c)) return this.number();
    const string = this.strings();
    if (string !== undefined) return string;
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.text.slice(this.pos, this.pos + 64))?.[0];
    if (word === 'True' || word === 'False' || word === 'None') {
      this.pos += word.length;
      return word === 'True' ? true : word === 'False' ? false : null;
    }
    return this.fail(word ? `the name ${word} (only literals are read)` : `unexpected ${quoteChar(c)}`);
  }

  end(): void {
    this.skip();
    if (this.pos < this.text.length) this.fail('text after the value');
  }

  private dict(): { [key: string]: PyValue } {
    this.pos++;
    this.depth++;
    const out: { [key: string]: PyValue } = {};
    let isSet = false;
    for (;;) {
      this.skip();
      if (this.text[this.pos] === '}') break;
      const key = this.value();
      this.skip();
      if (this.text[this.pos] === ':') {
        this.pos++;
        if (isSet) this.fail('a set mixed with a dict');
        const item = this.value();
        if (key !== null && typeof key === 'object') this.fail('a dict key that is not a string or number');
        Object.defineProperty(out, String(key), { value: item, enumerable: true, writable: true, configurable: true });
      } else {
        isSet = true; // a set: its members become keys with the value true
        Object.defineProperty(out, String(key), { value: true, enumerable: true, writable: true, configurable: true });
      }
      this.skip();
      if (this.text[this.pos] === ',') this.pos++;
      else if (this.text[this.pos] !== '}') this.fail('expected "," or "}"');
    }
    this.pos++;
    this.depth--;
    return out;
  }

  private sequence(close: string, tuple = false): PyValue {
    this.pos++;
    this.depth++;
    const out: PyValue[] = [];
    let sawComma = false;
    for (;;) {
      this.skip();
      if (this.text[this.pos] === close) break;
      out.push(this.value());
      this.skip();
      if (this.text[this.pos] === ',') {
        sawComma = true;
        this.pos++;
      } else if (this.text[this.pos] !== close) this.fail(`expected "," or "${close}"`);
    }
    this.pos++;
    this.depth--;
    // (x) is just x; (x,) is a tuple.
    if (tuple && out.length === 1 && !sawComma) return out[0] as PyValue;
    return out;
  }

  private number(): number {
    const rest = this.text.slice(this.pos, this.pos + 100);
    const match = /^(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][+-]?\d+)?|\d[\d_]*\.)/.exec(rest);
    if (!match) return this.fail('a malformed number');
    this.pos += match[0].length;
    if (/^[jJlL]/.test(this.text[this.pos] ?? '')) this.fail('a complex or long number');
    const text = match[0].replace(/_/g, '');
    const value = Number(text); // JavaScript reads 0x, 0o and 0b too
    if (!Number.isFinite(value)) this.fail('a malformed number');
    return value;
  }

  /** One string or several adjacent ones ("a" "b" is "ab"). */
  private strings(): string | undefined {
    let out: string | undefined;
    for (;;) {
      const save = this.pos;
      if (out !== undefined) this.skip();
      const piece = this.string();
      if (piece === undefined) {
        this.pos = save;
        return out;
      }
      out = (out ?? '') + piece;
    }
  }

  private string(): string | undefined {
    const prefix = /^[A-Za-z]{0,2}(?=['"])/.exec(this.text.slice(this.pos, this.pos + 3))?.[0];
    if (prefix === undefined) return undefined;
    const lower = prefix.toLowerCase();
    if (!['', 'r', 'u'].includes(lower)) this.fail(lower.includes('f') ? 'an f-string (only literals are read)' : `a ${prefix}"…" string`);
    this.pos += prefix.length;
    const raw = lower === 'r';
    const quote = this.text[this.pos] as string;
    const triple = this.text.startsWith(quote.repeat(3), this.pos);
    const delimiter = triple ? quote.repeat(3) : quote;
    this.pos += delimiter.length;
    let out = '';
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined) this.fail('a string that never ends');
      if (this.text.startsWith(delimiter, this.pos)) {
        this.pos += delimiter.length;
        return out;
      }
      if (c === '\n' && !triple) this.fail('a string that never ends');
      if (c === '\\') {
        const next = this.text[this.pos + 1] ?? '';
        if (raw) {
          out += c + next;
          this.pos += 2;
          continue;
        }
        this.pos += 2;
        out += this.escape(next);
        continue;
      }
      out += c;
      this.pos++;
    }
  }

  private escape(c: string): string {
    if (Object.hasOwn(ESCAPES, c)) return ESCAPES[c] as string;
    const length = HEX_ESCAPES[c];
    if (length === undefined) return `\\${c}`; // not an escape: kept as written
    const hex = this.text.slice(this.pos, this.pos + length);
    if (!new RegExp(`^[0-9a-fA-F]{${length}}$`).test(hex)) this.fail(`a malformed \\${c} escape`);
    this.pos += length;
    return String.fromCodePoint(parseInt(hex, 16));
  }

  /** Skips spaces, comments, line continuations, and newlines inside brackets. */
  private skip(): void {
    for (;;) {
      const c = this.text[this.pos];
      if (c === ' ' || c === '\t' || c === '\r' || c === '\f') this.pos++;
      else if (c === '\\' && this.text[this.pos + 1] === '\n') this.pos += 2;
      else if (c === '\n' && this.depth > 0) this.pos++;
      else if (c === '#') {
        while (this.pos < this.text.length && this.text[this.pos] !== '\n') this.pos++;
      } else return;
    }
  }

  private fail(what: string): never {
    const line = this.text.slice(0, this.pos).split('\n').length;
    throw new PythonLiteralError(`line ${line}: ${what}`);
  }
}

/** What each simple escape stands for (a backslash before a newline continues the line). */
const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', '0': '\0', '\n': '', '\\': '\\', "'": "'", '"': '"' };
/** How many hex digits follow \x, \u and \U. */
const HEX_ESCAPES: Readonly<Record<string, number>> = { x: 2, u: 4, U: 8 };

/** A character for a one-line message: control and line-separator characters as \uXXXX. */
function quoteChar(c: string): string {
  return `"${c.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029"\\]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;
}
