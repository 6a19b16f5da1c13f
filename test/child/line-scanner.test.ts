import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { PassThrough, Writable } from 'node:stream';
import { completeUtf8Length, isCut, LineScanner, scanStream, stripAnsi, type ScannedLine } from '../../src/child/line-scanner.js';
import { relayOutput } from '../../src/child/output-relay.js';
import { FakeClock } from '../helpers/fake-clock.js';

function collect(options: Partial<ConstructorParameters<typeof LineScanner>[1]> = {}) {
  const lines: ScannedLine[] = [];
  const clock = new FakeClock();
  const scanner = new LineScanner((line) => lines.push(line), { stream: 'stdout', clock, ...options });
  return { scanner, lines, clock, texts: () => lines.map((l) => l.text) };
}

test('lines split across chunks, CRLF, multi-byte characters split mid-sequence, ANSI colours removed for matching', () => {
  const { scanner, lines, texts } = collect();
  const bytes = Buffer.from('first\r\nWebSocket 通道意外关闭。code: 1006\n\x1b[31m[ERROR]\x1b[0m 无法连接到 mirai\n\n');
  // Every possible chunk size, including ones that cut a UTF-8 sequence in half.
  for (let i = 0; i < bytes.length; i += 3) scanner.push(bytes.subarray(i, i + 3));
  assert.deepEqual(texts(), ['first', 'WebSocket 通道意外关闭。code: 1006', '[ERROR] 无法连接到 mirai', '']);
  assert.ok(lines.every((l) => !l.partial && !l.truncated && l.stream === 'stdout'));
  scanner.dispose();
});

test('stripAnsi removes CSI, OSC and two-byte escapes and keeps everything else', () => {
  assert.equal(stripAnsi('\x1b[1;32mok\x1b[0m \x1b]0;title\x07x \x1b]8;;http://a\x1b\\link\x1b]8;;\x1b\\ \x1bMy'), 'ok x link y');
  assert.equal(stripAnsi('plain 文字'), 'plain 文字');
});

test('an unfinished line is scanned after idleMs (a prompt), and again whole once finished', () => {
  const { scanner, lines, clock } = collect({ idleMs: 100 });
  scanner.push('Enter the QQ password: ');
  clock.advanceSync(99);
  assert.equal(lines.length, 0);
  clock.advanceSync(1);
  assert.deepEqual(lines, [{ text: 'Enter the QQ password: ', stream: 'stdout', partial: true, truncated: false }]);
  clock.advanceSync(1000);
  assert.equal(lines.length, 1, 'not again while nothing new arrives');
  scanner.push('ok\nnext');
  assert.deepEqual(lines[1], { text: 'Enter the QQ password: ok', stream: 'stdout', partial: false, truncated: false });
  // More output before idleMs postpones the partial scan.
  clock.advanceSync(60);
  scanner.push(' part');
  clock.advanceSync(60);
  assert.equal(lines.length, 2);
  clock.advanceSync(40);
  assert.deepEqual(lines[2]?.text, 'next part');
  scanner.dispose();
  scanner.push('after dispose\n');
  assert.equal(lines.length, 3);
});

test('memory is bounded: a line longer than maxLineBytes is scanned by its beginning and flagged truncated', () => {
  const { scanner, lines } = collect({ maxLineBytes: 10 });
  scanner.push('0123456');
  scanner.push('789abcdef');
  scanner.push('ghij\nshort\n');
  assert.deepEqual(lines.map((l) => [l.text, l.truncated]), [['0123456789', true], ['short', false]]);
  scanner.push(Buffer.alloc(1 << 20, 0x61));
  scanner.push('\n');
  assert.equal(lines[2]?.text.length, 10);
  scanner.dispose();
});

test('flush() scans the last unfinished line when the stream ends (once)', () => {
  const { scanner, texts } = collect();
  scanner.push('a\nlast words');
  scanner.flush();
  scanner.flush();
  assert.deepEqual(texts(), ['a', 'last words']);
  scanner.dispose();
});

test('a listener that throws does not reach the stream', () => {
  const scanner = new LineScanner(() => {
    throw new Error('bug');
  }, { stream: 'stderr', clock: new FakeClock() });
  assert.doesNotThrow(() => scanner.push('x\n'));
  scanner.dispose();
});

test('beside the relay: every byte passes through unchanged, in order, while every line is scanned', async () => {
  const source = new PassThrough();
  const received: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      received.push(chunk);
      callback();
    },
  });
  relayOutput(source, sink);
  const lines: string[] = [];
  let bytesSeen = 0;
  const detach = scanStream(source, { stream: 'stdout', clock: new FakeClock(), onLine: (l) => lines.push(l.text), onChunk: (n) => (bytesSeen += n) });
  const text = Buffer.concat([Buffer.from('\x1b[32mgreen 绿色\x1b[0m\nline two\n'), randomBytes(5000), Buffer.from('\npartial-no-newline')]);
  for (let i = 0; i < text.length; ) {
    const size = 1 + Math.floor(Math.random() * 700);
    source.write(text.subarray(i, i + size));
    i += size;
  }
  await new Promise((resolve) => setImmediate(resolve));
  source.end();
  await new Promise((resolve) => source.once('end', resolve));
  assert.ok(Buffer.concat(received).equals(text), 'byte-exact');
  assert.equal(bytesSeen, text.length);
  assert.deepEqual(lines.slice(0, 2), ['green 绿色', 'line two']);
  assert.equal(lines.at(-1), 'partial-no-newline', 'the last unfinished line is scanned at the end');
  detach();
});

test('a line cut at maxLineBytes is cut at a character boundary and flagged, so patterns know its end is not a line end', () => {
  const { scanner, lines } = collect({ maxLineBytes: 10 });
  scanner.push(Buffer.from('aaaaaaaaa通x\n')); // the cut falls inside 通 (3 bytes)
  scanner.push(Buffer.from('ok\n'));
  assert.deepEqual(lines.map((l) => [l.text, l.truncated, isCut(l)]), [['aaaaaaaaa', true, true], ['ok', false, false]]);
  scanner.dispose();
});

test('completeUtf8Length drops only an unfinished sequence at the end', () => {
  const cases: [number[], number][] = [
    [[0x61], 1],
    [[0x61, 0xe9], 1], // a lead byte of 3 alone
    [[0xe9, 0x80], 0],
    [[0xe9, 0x80, 0x9a], 3],
    [[0xf0, 0x9f, 0x98], 0],
    [[0xf0, 0x9f, 0x98, 0x80], 4],
    [[0x61, 0x80], 2], // a stray continuation byte is the bot's
    [[0xff], 1],
    [[0xc3], 0],
  ];
  for (const [bytes, length] of cases) assert.equal(completeUtf8Length(Uint8Array.from(bytes)), length, JSON.stringify(bytes));
});

test('an unfinished line seen idle is cut (no line end yet); at the end of the stream it is whole and scanned again', () => {
  const { scanner, lines, clock } = collect({ idleMs: 100 });
  scanner.push('last words');
  clock.advanceSync(100);
  scanner.flush();
  scanner.flush();
  assert.deepEqual(lines.map((l) => [l.text, isCut(l)]), [['last words', true], ['last words', false]]);
  scanner.dispose();
});
