// The output line scanner on any bytes in any chunks (random bytes, CR/LF mixes, UTF-8 split
// across chunks, lines over the cut): the same lines whatever the chunking, each as the plain
// reading of the bytes says, never a throw. Adapter: LineScanner (src/child/line-scanner.ts).
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { completeUtf8Length, LineScanner, stripAnsi, type ScannedLine } from '../../../src/child/line-scanner.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { check, type FuzzTarget } from '../target.js';

/** Bytes that matter to a line reader, and text whose UTF-8 a chunk boundary can split. */
const bytes = fc.oneof(
  fc.uint8Array({ maxLength: 40 }),
  fc.constantFrom('\n', '\r\n', '\r', '\n\n', '\x1b[31m', '\x1b[0m', '\x1b]0;t\x07', '\x1b').map((s) => Buffer.from(s)),
  fc.string({ unit: 'binary', maxLength: 12 }).map((s) => Buffer.from(s)),
  fc.constantFrom('通道意外关闭', 'é', '🙂', 'aaaa', 'a$', '!').map((s) => Buffer.from(s)),
);

type Case = { data: Buffer; cuts: number[]; maxLineBytes: number };

/** The lines the rules give for the whole input: split at LF, cut to maxLineBytes at a character boundary. */
function expected(data: Buffer, maxLineBytes: number): Pick<ScannedLine, 'text' | 'truncated'>[] {
  const out: Pick<ScannedLine, 'text' | 'truncated'>[] = [];
  let start = 0;
  const emit = (end: number) => {
    const truncated = end - start > maxLineBytes;
    let line = data.subarray(start, truncated ? start + maxLineBytes : end);
    if (truncated) line = line.subarray(0, completeUtf8Length(line));
    let text = line.toString('utf8');
    if (text.endsWith('\r')) text = text.slice(0, -1);
    out.push({ text: stripAnsi(text), truncated });
  };
  for (let nl = data.indexOf(0x0a); nl >= 0; nl = data.indexOf(0x0a, start)) {
    emit(nl);
    start = nl + 1;
  }
  if (start < data.length) emit(data.length);
  return out;
}

function scan({ data, cuts, maxLineBytes }: Case): ScannedLine[] {
  const lines: ScannedLine[] = [];
  // No idle scans here (a day): only whole lines, and the last one at the end of the stream.
  const scanner = new LineScanner((line) => lines.push(line), { stream: 'stdout', clock: new FakeClock(), idleMs: 86_400_000, maxLineBytes });
  let at = 0;
  for (const cut of [...cuts, data.length]) {
    if (cut > at) scanner.push(data.subarray(at, cut));
    at = Math.max(at, cut);
  }
  scanner.flush();
  scanner.dispose();
  return lines;
}

export const lineScanner: FuzzTarget<Case> = {
  name: 'line-scanner',
  about: 'the line scanner on random bytes in random chunks: the lines of the plain reading, whatever the chunking; cut lines flagged, at a character boundary',
  runs: 300,
  arbitrary: () =>
    fc
      .record({ parts: fc.array(bytes, { maxLength: 30 }), maxLineBytes: fc.integer({ min: 1, max: 64 }), cuts: fc.array(fc.nat(), { maxLength: 12 }) })
      .map(({ parts, maxLineBytes, cuts }) => {
        const data = Buffer.concat(parts);
        return { data, maxLineBytes, cuts: cuts.map((c) => (data.length === 0 ? 0 : c % (data.length + 1))).sort((a, b) => a - b) };
      }),
  property: (input) => {
    const got = scan(input).map(({ text, truncated, partial }) => ({ text, truncated, partial }));
    const want = expected(input.data, input.maxLineBytes).map((line) => ({ ...line, partial: false }));
    check(isDeepStrictEqual(got, want), () => `got ${JSON.stringify(got)}\nwant ${JSON.stringify(want)}`);
    const whole = scan({ ...input, cuts: [] }).map(({ text, truncated, partial }) => ({ text, truncated, partial }));
    check(isDeepStrictEqual(got, whole), () => 'the chunking changed the lines');
  },
};
