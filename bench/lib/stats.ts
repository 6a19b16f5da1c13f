/** Median and max of a list of timings (ms). */
export function summarize(values: number[]): { runs: number; medianMs: number; maxMs: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { runs: values.length, medianMs: median, maxMs: sorted[sorted.length - 1] ?? Number.NaN };
}

/** A markdown table from a header and rows of cells. */
export function markdownTable(header: string[], align: ('l' | 'r')[], rows: string[][]): string {
  const rule = align.map((a) => (a === 'r' ? '---:' : '---'));
  return [header, rule, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}
