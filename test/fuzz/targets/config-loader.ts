// The config loader on any JSON value: a config (exit 0) or ConfigError lines (exit 2), never
// another error, never a hang; what it accepts has no unknown top-level key, and `config` can
// print it. Adapter: resolveConfig (src/config/load-config.ts), effectiveConfig.
import fc from 'fast-check';
import { ConfigError } from '../../../src/config/config-error.js';
import { effectiveConfig } from '../../../src/config/effective-config.js';
import { configJsonSchema } from '../../../src/config/json-schema.js';
import { resolveConfig } from '../../../src/config/load-config.js';
import { SECRET_ENV } from '../../../src/config/secret-values.js';
import { check, isOneLine, KNOWN_OPEN, ODD_KEYS, type FuzzTarget } from '../target.js';

const TOP_KEYS = Object.keys((configJsonSchema() as { properties: Record<string, unknown> }).properties);
/** A case taking longer is a hang for the fuzzer (generous: other tests share the cores). */
const SLOW_MS = 10_000;
const ENV = { HOME: '/home/bot', EMPTY: '', BOT_TOKEN: 'tok-fuzz-1234' };

/** Values of the shapes the schema reads, and wrong ones. */
function value(): fc.Arbitrary<unknown> {
  const keys = fc.oneof(fc.constantFrom(...ODD_KEYS, ...TOP_KEYS, 'kind', 'url', 'policy', 'schedule', 'patterns', 'verifyKey', 'BOT_TOKEN', 'API_KEY'), fc.string({ maxLength: 8 }));
  const leaf = fc.oneof(
    fc.constantFrom('30s', '1ms', '-1s', '1e309', 'mirai', 'onebot-reverse', 'always', 'never', '127.0.0.1:0', 'http://u:p@h:1/x', '${HOME}', '${BOT_TOKEN}', 'x ${BOT_TOKEN} y', '${UNSET}', '${EMPTY:-x}', '$${', '(a+)+$', '\\1', '* * * * * *'),
    fc.string({ maxLength: 20 }),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
  );
  const { tree } = fc.letrec<{ tree: unknown }>((tie) => ({
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.array(tie('tree'), { maxLength: 4 }),
      fc.dictionary(keys, tie('tree'), { maxKeys: 5 }),
    ),
  }));
  return tree;
}

/** Deep nesting (issue 17.9), generated only once that fix is in; built in the property (a short counterexample). */
type Input = { json: unknown } | { deep: { depth: number; asList: boolean; key: string } };
function deep(): fc.Arbitrary<Input> {
  return fc.record({ depth: fc.integer({ min: 1000, max: 20_000 }), asList: fc.boolean(), key: fc.constantFrom(...TOP_KEYS) }).map((spec) => ({ deep: spec }));
}
function build(input: Input): unknown {
  if ('json' in input) return input.json;
  let inner: unknown = 1;
  for (let i = 0; i < input.deep.depth; i++) inner = input.deep.asList ? [inner] : { a: inner };
  return { command: ['bot'], [input.deep.key]: inner };
}

function config(): fc.Arbitrary<Input> {
  const topKeys = KNOWN_OPEN.protoKey ? fc.constantFrom(...TOP_KEYS, ...ODD_KEYS) : fc.constantFrom(...TOP_KEYS, ...ODD_KEYS, '__proto__');
  const shaped = fc.dictionary(topKeys, value(), { maxKeys: 6 }).map((raw) => {
    // Built key by key: `__proto__` stays an own key, as JSON.parse makes it.
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(raw)) Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
    return out;
  });
  const options: fc.Arbitrary<Input>[] = [shaped, value(), fc.jsonValue()].map((json) => json.map((value) => ({ json: value })));
  if (!KNOWN_OPEN.deepNesting) options.push(deep());
  return fc.oneof(...options);
}

export const configLoader: FuzzTarget<{ raw: Input; requireCommand: boolean }> = {
  name: 'config-loader',
  about: 'resolveConfig on any JSON value: a config or one-line ConfigError problems, never another error or a hang; no unknown key accepted; `config` prints what is accepted',
  runs: 300,
  arbitrary: () => fc.record({ raw: config(), requireCommand: fc.boolean() }),
  property: ({ raw: input, requireCommand }) => {
    const raw = build(input);
    const started = performance.now();
    let resolved;
    try {
      resolved = resolveConfig(raw, { env: ENV, cwd: '/srv/bot', requireCommand, source: 'watchdog.config.json' });
    } catch (error) {
      check(error instanceof ConfigError, () => `not a ConfigError: ${(error as Error)?.name}: ${(error as Error)?.message}`);
      check(error.problems.length > 0, () => 'a ConfigError without a problem');
      for (const line of error.problems) {
        check(isOneLine(line) && line.length > 0, () => `a problem that is not one line: ${JSON.stringify(line)}`);
        check(line.startsWith('watchdog.config.json: '), () => `a problem that does not name the file: ${JSON.stringify(line)}`);
      }
      return;
    } finally {
      const took = performance.now() - started;
      check(took < SLOW_MS, () => `took ${took.toFixed(0)} ms`);
    }
    const own = raw !== null && typeof raw === 'object' ? Object.getOwnPropertyNames(raw) : [];
    const unknown = own.filter((key) => !TOP_KEYS.includes(key));
    check(unknown.length === 0, () => `accepted unknown top-level key(s) ${JSON.stringify(unknown)}`);
    check(Array.isArray(resolved.command), () => 'command is not a list');
    const printed = JSON.stringify(effectiveConfig(resolved));
    const secretEnv = Object.entries(resolved.env).some(([name, item]) => SECRET_ENV.test(name) && item === ENV.BOT_TOKEN);
    check(!(secretEnv && printed.includes(ENV.BOT_TOKEN)), () => `config prints an env secret: ${printed.slice(0, 500)}`);
  },
};
