// init's readers of a bot's own files, on any content: config.py (Python literals), .env and
// koishi.yml. A value or PythonLiteralError, never another error; facts in range; notes one line
// each and never a secret's value. Adapter: parseLiteral, readAssignment, readBotConfig (src/init/).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { parseLiteral, PythonLiteralError, readAssignment } from '../../../src/init/python-literal.js';
import { readBotConfig } from '../../../src/init/read-bot-config.js';
import { check, isOneLine, KNOWN_OPEN, type FuzzTarget } from '../target.js';

const SECRET = 'VerifyKeyFuzz123';

/** A JSON value written as Python (True/False/None; JSON strings and numbers are Python's too). */
function python(value: unknown): string {
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number' || typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(python).join(', ')}]`;
  return `{${Object.entries(value as object).map(([k, v]) => `${JSON.stringify(k)}: ${python(v)}`).join(', ')}}`;
}

const pieces = fc.constantFrom('{', '}', '[', ']', '(', ')', ',', ':', '"', "'", '"""', "r'", "u'", 'f"', '\\', '#', '\n', ' ', '-', '+', '1', '1.5e3', '0x1F', '1_000', 'True', 'None', 'nan', 'x', '=', '==', 'mirai_http_api_config', '__import__("os")');
const pythonish = fc.array(pieces, { maxLength: 25 }).map((p) => p.join(''));
const json = fc.jsonValue({ maxDepth: KNOWN_OPEN.deepNesting ? 4 : 6 });
const deepBrackets = fc.integer({ min: 1, max: KNOWN_OPEN.deepNesting ? 50 : 100_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`);

const files = fc.record({
  configPy: fc.oneof(
    pythonish,
    json.map((v) => `mirai_http_api_config = ${python(v)}\n`),
    fc.record({ host: fc.string({ maxLength: 10 }), port: fc.oneof(fc.integer(), fc.string({ maxLength: 5 })), qq: fc.oneof(fc.integer(), fc.string({ maxLength: 12 })) }).map(
      (v) => `# config\nmirai_http_api_config = {"host": ${JSON.stringify(v.host)}, "port": ${JSON.stringify(v.port)}, "verifyKey": "${SECRET}", "qq": ${JSON.stringify(v.qq)}}\n`,
    ),
  ),
  env: fc.array(fc.oneof(fc.constantFrom('PORT=8080', 'PORT=99999', 'PORT=-1', 'PORT="8081"', 'ENVIRONMENT=prod', 'ENVIRONMENT=../x', 'export PORT=1', '__proto__=1', `ACCESS_TOKEN=${SECRET}`), fc.string({ maxLength: 20 })), { maxLength: 6 }).map((lines) => lines.join('\n')),
  envProd: fc.oneof(fc.constant(''), fc.constantFrom('PORT=9000', 'PORT=abc'), fc.string({ maxLength: 20 })),
  koishi: fc.oneof(fc.constantFrom('port: 5140\n', 'port: 0\n', 'port: 99999 # x\n', 'port:\n', '  port: 1\n'), fc.string({ maxLength: 40 })),
});

export const initReaders: FuzzTarget<{ literal: string; value: unknown; files: { configPy: string; env: string; envProd: string; koishi: string } }> = {
  name: 'init-readers',
  about: "init's readers (config.py literals, .env, koishi.yml) on any content: a value or PythonLiteralError, facts in range, notes one line and never a secret",
  runs: 200,
  arbitrary: () => fc.record({ literal: fc.oneof(pythonish, deepBrackets), value: json, files }),
  property: ({ literal, value, files: content }) => {
    for (const read of [() => parseLiteral(literal), () => readAssignment(literal, 'mirai_http_api_config')]) {
      try {
        read();
      } catch (error) {
        check(error instanceof PythonLiteralError, () => `not a PythonLiteralError: ${(error as Error).name}: ${(error as Error).message}`);
        if (!KNOWN_OPEN.literalControlChars) check(isOneLine((error as Error).message), () => `an error of several lines: ${JSON.stringify((error as Error).message)}`);
      }
    }
    // What JSON can say, Python says the same way: it reads back as written.
    const back = parseLiteral(python(value));
    // As JSON sees it: -0 is written 0 (found by npm run fuzz, seed 491454576: a test artefact).
    check(isDeepStrictEqual(back, JSON.parse(JSON.stringify(value))), () => `${python(value)} read as ${JSON.stringify(back)}`);

    const dir = mkdtempSync(join(tmpdir(), 'bw-fuzz-init-'));
    try {
      writeFileSync(join(dir, 'config.py'), content.configPy);
      writeFileSync(join(dir, '.env'), content.env);
      writeFileSync(join(dir, '.env.prod'), content.envProd);
      writeFileSync(join(dir, 'koishi.yml'), content.koishi);
      for (const preset of ['qchatgpt', 'nonebot2', 'koishi'] as const) {
        const reading = readBotConfig(preset, dir);
        for (const note of reading.notes) {
          if (!KNOWN_OPEN.literalControlChars) check(isOneLine(note), () => `${preset}: a note of several lines: ${JSON.stringify(note)}`);
          check(!note.includes(SECRET), () => `${preset}: a note shows the secret: ${note}`);
        }
        const port = reading.facts.listenPort;
        check(port === undefined || (Number.isInteger(port) && port >= 1 && port <= 65535), () => `${preset}: listen port ${port}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
