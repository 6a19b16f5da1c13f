import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLineSink } from '../../src/log/line-sink.js';
import { createLogger, flushLogger } from '../../src/log/logger.js';
import { requireTool } from '../helpers/require-tool.js';

const droppedLine = (count: number) => `dropped ${count}\n`;
const line = (i: number) => `line ${String(i).padStart(5, '0')} ${'x'.repeat(90)}\n`;

/**
 * A real pipe (a FIFO) whose reader reads nothing until asked: the writer is a Node stream on the
 * other end, as process.stderr is when it is a pipe.
 */
function stalledPipe() {
  const dir = mkdtempSync(join(tmpdir(), 'bw-sink-'));
  const fifo = join(dir, 'fifo');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  const readFd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const writeFd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  const stream = new Socket({ fd: writeFd, readable: false, writable: true });
  let out = '';
  let timer: NodeJS.Timeout | undefined;
  return {
    stream,
    /** From now on, read everything that arrives. */
    startReading: () => {
      timer = setInterval(() => (out += readAll(readFd)), 2);
    },
    output: () => out,
    close: async () => {
      stream.destroy();
      clearInterval(timer);
      closeSync(readFd);
    },
  };
}

test('a stuck pipe: writes never block, at most the bound waits, the rest is dropped and counted once the reader moves', { skip: requireTool('mkfifo', 'coreutils') }, async () => {
  const pipe = stalledPipe();
  try {
    const sink = createLineSink({ target: { stream: pipe.stream }, maxBufferedBytes: 16 * 1024, droppedLine });
    const total = 3000; // ~300 KB: far more than the pipe (64 KiB) and the bound together
    const started = performance.now();
    for (let i = 0; i < total; i++) sink.write(line(i));
    assert.ok(performance.now() - started < 1000, 'writing must not wait for the reader');
    assert.ok(pipe.stream.writableLength <= 16 * 1024, `queued ${pipe.stream.writableLength}`);
    const dropped = sink.pendingDropped;
    assert.ok(dropped > 2000, `dropped ${dropped}`);

    pipe.startReading();
    // Once the backlog drains, the report comes by itself (no further line needed)…
    await waitFor(() => pipe.output().includes('dropped '));
    // …and later lines pass again.
    sink.write(line(total));
    await sink.flush(5000);
    await waitFor(() => pipe.output().endsWith(line(total)));
    const lines = pipe.output().trimEnd().split('\n');
    const report = lines.findIndex((l) => l.startsWith('dropped '));
    assert.equal(lines[report], `dropped ${dropped}`);
    // Kept: an unbroken prefix in order, then the report, then the later line: nothing reordered.
    const kept = lines.slice(0, report);
    assert.deepEqual(kept, Array.from({ length: kept.length }, (_, i) => line(i).trimEnd()));
    assert.equal(kept.length + dropped, total);
    assert.deepEqual(lines.slice(report + 1), [line(total).trimEnd()]);
    assert.equal(sink.pendingDropped, 0);
  } finally {
    await pipe.close();
  }
});

test('a file descriptor that refuses writes (/dev/full): no throw, lines counted as dropped', () => {
  const fd = openSync('/dev/full', 'w');
  try {
    const sink = createLineSink({ target: { fd }, droppedLine });
    for (let i = 0; i < 10; i++) sink.write(line(i));
    assert.equal(sink.pendingDropped, 10);
  } finally {
    closeSync(fd);
  }
});

test('a descriptor that is full for a while (non-blocking FIFO): dropped lines are reported when it takes lines again', { skip: requireTool('mkfifo', 'coreutils') }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-sink-'));
  const fifo = join(dir, 'fifo');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  const readFd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const writeFd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  try {
    // As long as a line: a short report could still fit where the line that failed did not.
    const sink = createLineSink({ target: { fd: writeFd }, droppedLine: (count) => `dropped ${count}`.padEnd(99, '.') + '\n' });
    let i = 0;
    while (sink.pendingDropped === 0) sink.write(line(i++));
    for (let k = 0; k < 4; k++) sink.write(line(i++));
    const dropped = sink.pendingDropped;
    assert.equal(dropped, 5);
    let text = readAll(readFd);
    sink.write(line(i));
    text += readAll(readFd);
    const lines = text.trimEnd().split('\n');
    assert.equal(lines.at(-2), `dropped ${dropped}`.padEnd(99, '.'));
    assert.equal(lines.at(-1), line(i).trimEnd());
    // Short lines are written whole or not at all (pipe writes up to PIPE_BUF are atomic).
    assert.deepEqual(lines.slice(0, -2), Array.from({ length: i - dropped }, (_, k) => line(k).trimEnd()));
  } finally {
    closeSync(readFd);
    closeSync(writeFd);
  }
});

test('the logger over a stuck sink: logging returns at once, log.dropped is a normal JSON event', { skip: requireTool('mkfifo', 'coreutils') }, async () => {
  const pipe = stalledPipe();
  try {
    const logger = createLogger({ level: 'info', format: 'json', target: { stream: pipe.stream }, maxBufferedBytes: 8 * 1024 });
    for (let i = 0; i < 2000; i++) logger.info({ event: 'test.line', i, pad: 'y'.repeat(100) }, 'a line');
    pipe.startReading();
    await waitFor(() => pipe.output().includes('log.dropped'));
    await flushLogger(logger, 5000);
    const records = pipe.output().trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const report = records.find((r) => r.event === 'log.dropped')!;
    assert.equal(report.level, 'warn');
    assert.equal(typeof report.time, 'string');
    const kept = records.filter((r) => r.event === 'test.line');
    assert.ok((report.dropped as number) > 1000);
    assert.equal(kept.length + (report.dropped as number), 2000);
  } finally {
    await pipe.close();
  }
});

function readAll(fd: number): string {
  const buffer = Buffer.alloc(1 << 16);
  let text = '';
  for (;;) {
    try {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) return text;
      text += buffer.toString('utf8', 0, n);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return text;
      throw error;
    }
  }
}

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
