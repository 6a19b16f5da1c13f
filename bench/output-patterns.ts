// Time to match one line against an output pattern: RE2 (re2js, what probes.output.patterns run
// on) against JavaScript's backtracking RegExp, on the lines that stall a backtracking engine.
// RegExp runs in a child process that is killed after GIVE_UP_MS (it would block for ever).
// Run: node --import tsx bench/output-patterns.ts   (exits 1 if RE2 misses its target)
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { compileOutputPattern } from '../src/child/output-pattern.js';
import { markdownTable, summarize } from './lib/stats.js';

/** Every case: a 64 KiB line is scanned by RE2 in under this (median). */
export const TARGET_MS = 50;
const GIVE_UP_MS = 2000;
const RUNS = 15;

interface Case {
  pattern: string;
  line: string;
  label: string;
}

const KIB64 = 64 * 1024;
const CASES: Case[] = [
  { pattern: '(a+)+$', line: `${'a'.repeat(30)}!`, label: '31 chars: 30 × "a" then "!"' },
  { pattern: '(a+)+$', line: `${'a'.repeat(KIB64 - 1)}!`, label: '64 KiB: "a"… then "!"' },
  { pattern: '.*WebSocket.*closed', line: 'x'.repeat(KIB64), label: '64 KiB of "x"' },
  { pattern: '.*WebSocket.*closed', line: 'WebSocket '.repeat(KIB64 / 10), label: '64 KiB of "WebSocket "' },
  { pattern: 'WebSocket 通道意外关闭', line: '日志'.repeat(KIB64 / 6), label: '64 KiB of CJK text (the recipe\'s pattern)' },
];

function timeRe2(c: Case): number[] {
  const pattern = compileOutputPattern(c.pattern);
  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const start = performance.now();
    pattern.test(c.line);
    times.push(performance.now() - start);
  }
  return times;
}

/** One RegExp#test in a child process; Infinity if it had not finished after GIVE_UP_MS. */
function timeRegExp(c: Case): number {
  const script = `const p = new RegExp(${JSON.stringify(c.pattern)}); const line = ${JSON.stringify(c.line)}; const t = performance.now(); p.test(line); process.stdout.write(String(performance.now() - t));`;
  const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: GIVE_UP_MS });
  if (result.status !== 0) return Infinity;
  return Number(result.stdout);
}

export interface PatternBenchRow {
  pattern: string;
  line: string;
  re2MedianMs: number;
  re2MaxMs: number;
  regExpMs: number;
}

export function benchOutputPatterns(): PatternBenchRow[] {
  return CASES.map((c) => {
    const { medianMs, maxMs } = summarize(timeRe2(c));
    return { pattern: c.pattern, line: c.label, re2MedianMs: medianMs, re2MaxMs: maxMs, regExpMs: timeRegExp(c) };
  });
}

export function formatTable(rows: PatternBenchRow[]): string {
  const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(2) : `> ${GIVE_UP_MS} (killed)`);
  return markdownTable(
    ['pattern', 'line', 'RE2 median ms', 'RE2 max ms', 'RegExp ms (one run)', `target: median < ${TARGET_MS} ms`],
    ['l', 'l', 'r', 'r', 'r', 'l'],
    rows.map((r) => [`\`${r.pattern}\``, r.line, ms(r.re2MedianMs), ms(r.re2MaxMs), ms(r.regExpMs), r.re2MedianMs < TARGET_MS ? 'met' : 'MISSED']),
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = benchOutputPatterns();
  console.log(formatTable(rows));
  if (rows.some((r) => r.re2MedianMs >= TARGET_MS)) process.exit(1);
}
