// The fuzz targets' common shape, and the one function that runs one (test/fuzz/fuzz.test.ts with a
// fixed seed and a bounded count; bench/fuzz.ts for minutes with random seeds). Each target lives
// in its own adapter file under targets/, the only place that names the module's functions, so a
// refactor of src/ re-points one file.
import fc from 'fast-check';

export interface FuzzTarget<T = any> {
  /** Short name: `npm run fuzz -- --only <name>`. */
  name: string;
  /** What untrusted input reaches, and what must hold. One line. */
  about: string;
  /** Cases run in `npm test` (the fixed seed). Keep the whole suite to seconds. */
  runs: number;
  arbitrary: () => fc.Arbitrary<T>;
  /** Throws (or rejects) on a counterexample. */
  property: (input: T) => void | Promise<void>;
  /** Starts what the property needs (a server) and returns how to stop it. */
  setUp?: () => Promise<() => Promise<void>>;
  /** Whether the property is asynchronous. */
  async?: boolean;
}

/**
 * Open issues the fuzzer knows how to find, left to another part of the project (issue 17): while
 * true, the generators steer clear of them so `npm test` stays green; set one to false once its fix
 * is merged, and the fuzz suite holds it from then on.
 */
const steerClear = process.env['FUZZ_KNOWN_OPEN'] !== 'hunt'; // FUZZ_KNOWN_OPEN=hunt: look for them anyway
export const KNOWN_OPEN = {
  /** 17.8: `"__proto__"` slips past the unknown-key check (the config loader, expandEnv). */
  protoKey: false,
  /** 17.9: deep nesting overflows the stack instead of a config error (config, config.py). */
  deepNesting: false,
  /**
   * Found by this fuzzer (init-readers): a PythonLiteralError quotes the offending character raw
   * (`line 1: unexpected "<newline>"`, or an ESC), so init's note about config.py spans two lines
   * or carries a terminal escape. Fix in src/init/python-literal.ts (quote it with JSON.stringify);
   * test/fuzz/regressions.test.ts holds the case as a todo.
   */
  literalControlChars: false,
};

export interface FuzzOutcome {
  target: string;
  runs: number;
  failed: boolean;
  seed: number;
  path: string | undefined;
  counterexample: string | undefined;
  error: string | undefined;
}

/** Runs `target` once with fast-check; never throws, says what it found. */
export async function runTarget(
  target: FuzzTarget,
  options: { seed: number; numRuns: number; path?: string; interruptAfterTimeLimit?: number },
): Promise<FuzzOutcome> {
  const arbitrary = target.arbitrary();
  const params: fc.Parameters<[unknown]> = {
    seed: options.seed,
    numRuns: options.numRuns,
    ...(options.path === undefined ? {} : { path: options.path }),
    ...(options.interruptAfterTimeLimit === undefined ? {} : { interruptAfterTimeLimit: options.interruptAfterTimeLimit, markInterruptAsFailure: false }),
  };
  const details = target.async
    ? await fc.check(fc.asyncProperty(arbitrary, async (input) => { await target.property(input); }), params)
    : fc.check(fc.property(arbitrary, (input) => { target.property(input); }), params);
  return {
    target: target.name,
    runs: details.numRuns,
    failed: details.failed,
    seed: details.seed,
    path: details.counterexamplePath ?? undefined,
    counterexample: details.counterexample ? shown(details.counterexample[0]) : undefined,
    error: details.failed ? String((details.errorInstance as Error | undefined)?.message ?? details.errorInstance) : undefined,
  };
}

function shown(value: unknown): string {
  try {
    return fc.stringify(value);
  } catch {
    return '(too deep to print: replay it)';
  }
}

/** One paragraph a person can act on: the case, the error, and how to replay it. */
export function describeFailure(outcome: FuzzOutcome): string {
  return [
    `${outcome.target}: counterexample after ${outcome.runs} case(s)`,
    `  input: ${(outcome.counterexample ?? '').slice(0, 2000)}`,
    `  error: ${(outcome.error ?? '').slice(0, 2000)}`,
    `  replay: ${process.env['FUZZ_KNOWN_OPEN'] === 'hunt' ? 'FUZZ_KNOWN_OPEN=hunt ' : ''}node --import tsx bench/fuzz.ts --only ${outcome.target} --seed ${outcome.seed}${outcome.path ? ` --path ${outcome.path}` : ''}`,
  ].join('\n');
}

/** A check that throws with a message (fast-check reports it with the case). */
export function check(condition: unknown, message: () => string): asserts condition {
  if (!condition) throw new Error(message());
}

/** Some keys that have tripped JavaScript code before. */
export const ODD_KEYS = ['constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', '', ' ', '${HOME}', '\u0000', 'ä', '🙂'];

/** Text that is "one line": no line break a log or terminal would show as two. */
export function isOneLine(text: string): boolean {
  return !/[\n\r\u2028\u2029]/.test(text);
}
