import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileOutputPattern, isLiteralPattern, OutputPatternError, outputPatternProblem, withoutEndAnchors } from '../../src/child/output-pattern.js';
import { ConfigError } from '../../src/config/config-error.js';
import { resolveConfig } from '../../src/config/load-config.js';

const matches = (pattern: string, line: string) => compileOutputPattern(pattern).test(line);

test('matches anywhere in the line, as RegExp#test does, for the patterns the recipes use', () => {
  assert.equal(matches('WebSocket 通道意外关闭', '[ERROR] WebSocket 通道意外关闭, 正在退出'), true);
  assert.equal(matches('无法连接到 mirai', '2024-05-01 无法连接到 mirai: refused'), true);
  assert.equal(matches('WebSocket 通道意外关闭', 'WebSocket 通道已打开'), false);
  assert.equal(matches('.*WebSocket.*closed', 'the WebSocket was closed'), true);
  assert.equal(matches('^ERROR\\b', 'ERROR: x'), true);
  assert.equal(matches('^ERROR\\b', 'an ERROR'), false);
  assert.equal(matches('code (\\d+)$', 'closed with code 1006'), true);
  assert.equal(matches('code \\d{5}$', 'closed with code 1006'), false);
  assert.equal(matches('(a+)+$', 'aaaa'), true);
  assert.equal(matches('(a+)+$', `${'a'.repeat(40)}!`), false);
  // JavaScript spellings that RE2 writes differently are translated.
  assert.equal(matches('caf\\u00e9', 'café'), true);
  assert.equal(matches('(?<code>\\d+) closed', '1006 closed'), true);
  assert.equal(matches('a/b', 'x a/b y'), true);
  // RE2's inline flags are a bonus.
  assert.equal(matches('(?i)websocket', 'WEBSOCKET'), true);
  assert.equal(matches('websocket', 'WEBSOCKET'), false);
  assert.equal(compileOutputPattern('x+').source, 'x+');
});

test('patterns RE2 cannot run are refused, saying why', () => {
  const refused: [string, RegExp][] = [
    ['(\\w+) \\1', /backreference \(\\1\) is not supported/],
    ['(?<w>\\w+) \\k<w>', /named backreference/],
    ['foo(?=bar)', /lookahead \(\?=…\) is not supported/],
    ['foo(?!bar)', /lookahead \(\?!…\) is not supported/],
    ['(?<=x)a', /lookbehind \(\?<=…\) is not supported/],
    ['(?<!x)a', /lookbehind \(\?<!…\) is not supported/],
    ['[a-', /invalid regular expression for RE2 \(missing closing \]/],
    ['a++', /invalid regular expression for RE2 \(invalid nested repetition operator/],
  ];
  for (const [pattern, reason] of refused) {
    assert.throws(() => compileOutputPattern(pattern), (error: OutputPatternError) => error instanceof OutputPatternError && error.pattern === pattern && reason.test(error.reason), pattern);
    assert.match(outputPatternProblem(pattern) ?? '', reason, pattern);
  }
  // Inside a class, \1 and (?= are plain characters; an escaped \\ is not an escape of what follows.
  assert.equal(outputPatternProblem('[(?=]x'), undefined);
  assert.equal(outputPatternProblem('\\\\1'), undefined);
  assert.equal(matches('\\\\1', 'C:\\1'), true);
});

test('the config names the pattern and why RE2 cannot run it', () => {
  try {
    resolveConfig({ command: ['x'], probes: { output: { patterns: ['fine', '(a)\\1', 'x(?=y)'] } } });
    assert.fail('expected a config error');
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(error.problems, [
      'watchdog.config.json: probes.output.patterns[1]: a backreference (\\1) is not supported (patterns run on RE2, in linear time), got "(a)\\\\1"',
      'watchdog.config.json: probes.output.patterns[2]: lookahead (?=…) is not supported (patterns run on RE2, in linear time), got "x(?=y)"',
    ]);
  }
});

test('catastrophic patterns and long lines give correct answers (timings: bench/output-patterns.ts)', () => {
  const longA = `${'a'.repeat(100_000)}!`;
  assert.equal(matches('(a+)+$', longA), false);
  assert.equal(matches('(a|aa)+$', longA), false);
  assert.equal(matches('(a+)+!$', longA), true);
  const line64k = 'x'.repeat(64 * 1024);
  assert.equal(matches('.*WebSocket.*closed', line64k), false);
  assert.equal(matches('.*WebSocket.*closed', `${line64k}WebSocket${line64k.slice(0, 1000)}closed`), true);
  assert.equal(matches('.*WebSocket.*closed', 'WebSocket '.repeat(6553)), false);
});

test('a pattern without regular-expression syntax is searched as text, with the same answers RE2 gives', async () => {
  const { isLiteralPattern } = await import('../../src/child/output-pattern.js');
  const { RE2JS } = (await import('re2js')) as typeof import('re2js');
  const literals = ['WebSocket 通道意外关闭', '无法连接到 mirai', 'a/b', 'kicked offline!', 'error: 1006', '😀 emoji', 'tab\there'];
  const syntax = ['a.b', 'a*', 'a+', 'a?', '^a', 'a$', 'a|b', '(a)', '[a]', 'a{2}', 'a\\d', 'a]', 'a}'];
  for (const source of literals) assert.equal(isLiteralPattern(source), true, source);
  for (const source of syntax) assert.equal(isLiteralPattern(source), false, source);
  assert.equal(isLiteralPattern(''), false, 'the empty pattern stays with RE2');
  const lines = ['', 'WebSocket 通道意外关闭', 'x WebSocket 通道意外关闭 y', 'WebSocket 通道', 'websocket 通道意外关闭', 'x a/b', 'a b', 'kicked offline!!', '😀 emoji here', 'tab\there', 'tab here'];
  for (const source of literals) {
    const re2 = RE2JS.compile(RE2JS.translateRegExp(source));
    for (const line of lines) assert.equal(matches(source, line), re2.test(line), `${source} on ${JSON.stringify(line)}`);
  }
  assert.equal(isLiteralPattern('\ud83d'), false, 'a lone surrogate stays with RE2');
  assert.equal(matches('\ud83d', '😀'), false);
  // Random text patterns and lines over characters that differ between engines if anything does:
  // case pairs, Unicode folding (K/Kelvin, ſ, ß, İ), combining marks, line ends, NUL, BOM, CJK, emoji.
  const alphabet = ['a', 'A', 'k', 'K', '\u212a', 's', '\u017f', '\u00df', 'i', '\u0130', 'e', '\u0301', '\u00e9', ' ', '\t', '\r', '\n', '\0', '\ufeff', '\u2028', '\u00a0', '-', '/', '#', '通', '道', '😀', '🎉'];
  let seed = 42;
  const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
  const text = (max: number) => Array.from({ length: 1 + random(max) }, () => alphabet[random(alphabet.length)]).join('');
  for (let i = 0; i < 3000; i++) {
    const source = text(3);
    const line = random(3) === 0 ? `${text(4)}${source}${text(4)}` : text(12);
    assert.equal(isLiteralPattern(source), true);
    const re2 = RE2JS.compile(RE2JS.translateRegExp(source));
    assert.equal(matches(source, line), re2.test(line), `${JSON.stringify(source)} on ${JSON.stringify(line)}`);
  }
});

test('a config whose patterns are all text does not load re2js; one regular expression does', async () => {
  const { execFileSync } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const moduleUrl = new URL('../../src/child/output-pattern.ts', import.meta.url).href;
  const loads = (patterns: string[]) =>
    execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `import { createRequire } from 'node:module';
         const { compileOutputPattern } = await import(${JSON.stringify(moduleUrl)});
         for (const p of ${JSON.stringify(patterns)}) compileOutputPattern(p);
         const cache = Object.keys(createRequire(import.meta.url).cache);
         process.stdout.write(String(cache.some((file) => file.includes('re2js'))));`,
      ],
      { cwd: fileURLToPath(new URL('../..', import.meta.url)), encoding: 'utf8' },
    );
  assert.equal(loads(['WebSocket 通道意外关闭', '无法连接到 mirai']), 'false');
  assert.equal(loads(['WebSocket 通道意外关闭', 'code \\d+']), 'true');
});

// Issue 17.11: a line cut at maxLineBytes (or not finished yet) goes on past what was scanned.
test('a cut line never matches an end anchor: RE2 path ($, \\z, (?m)$, \\b and \\B at the cut)', () => {
  const head = 'a'.repeat(65_536); // the first 64 KiB of a 70,000-byte line of "a" ending in "!"
  for (const source of ['a$', 'a\\z', '(?m)a$', '(?i)A$', 'a\\b', '!\\B', '^a+$', 'x|a$', 'a[^]$', 'a(?:$)']) {
    const pattern = compileOutputPattern(source);
    assert.equal(pattern.test(head, true), false, `${source} on a cut line`);
  }
  assert.equal(compileOutputPattern('a$').test(head), true, 'the same text as a whole line ends there');
  assert.equal(compileOutputPattern('!\\B').test('x!', true), false);
  assert.equal(compileOutputPattern('!\\B').test('x!'), true);
  // What is really in the beginning still matches: anchors elsewhere, classes, escaped dollars.
  const cases: [string, string][] = [
    ['^a{3}', head],
    ['a\\b', 'a b'],
    ['\\bERROR\\b', 'x ERROR y'],
    ['[$]', 'cost $5'],
    ['\\$', 'cost $5'],
    ['\\Q$\\E', 'cost $5'],
    ['[^]x', 'cost x'],
    ['a+', head],
    ['e$|ERR', 'ERR…'],
  ];
  for (const [source, line] of cases) assert.equal(compileOutputPattern(source).test(line, true), true, `${source} on ${line.slice(0, 20)}`);
});

test('a cut line and the plain-text path: text in the beginning is found, nothing is anchored', () => {
  const head = `${'a'.repeat(65_530)}FATAL`;
  assert.equal(isLiteralPattern('FATAL'), true);
  assert.equal(compileOutputPattern('FATAL').test(head, true), true);
  assert.equal(compileOutputPattern('通道意外关闭').test(`x 通道意外关闭 y${'a'.repeat(10)}`, true), true);
  assert.equal(compileOutputPattern('!').test('a'.repeat(65_536), true), false, 'the "!" after the cut is not scanned');
});

test('withoutEndAnchors rewrites only end anchors outside classes and quotes', () => {
  assert.equal(withoutEndAnchors('a$'), 'a[^\\s\\S]');
  assert.equal(withoutEndAnchors('a\\z'), 'a[^\\s\\S]');
  assert.equal(withoutEndAnchors('[$]\\$\\Q$\\E[a$]'), '[$]\\$\\Q$\\E[a$]');
  // JavaScript's [] and [^] are whole classes (re2js translates them so): the $ after them is an anchor.
  assert.equal(withoutEndAnchors('[^]$'), '[^][^\\s\\S]');
  assert.equal(withoutEndAnchors('[]$'), '[][^\\s\\S]');
  assert.equal(withoutEndAnchors('^x'), '^x');
});
