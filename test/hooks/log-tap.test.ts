import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { LogTap, type TappedRecord } from '../../src/log/log-tap.js';
import { createLogger } from '../../src/log/logger.js';

function memoryDestination(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      callback();
    },
  });
  return { stream, lines };
}

test('the tap gets each written record as a scrubbed plain object, with level, time and msg', () => {
  const tap = new LogTap();
  const seen: TappedRecord[] = [];
  tap.subscribe((record) => seen.push(record));
  const { stream, lines } = memoryDestination();
  const logger = createLogger({ level: 'info', format: 'json', secrets: ['s3cr3t-key'], destination: stream, tap });
  logger.info({ event: 'child.stop', pid: 7, reason: 'link-lost', url: 'ws://h/all?verifyKey=s3cr3t-key' }, 'stopping the bot (key s3cr3t-key)');
  logger.debug({ event: 'ws.up' }, 'below the level: not written, not tapped');
  logger.warn('a bare message');
  assert.equal(lines.length, 2);
  assert.equal(seen.length, 2);
  const [stop, bare] = seen;
  assert.equal(stop?.event, 'child.stop');
  assert.equal(stop?.level, 'info');
  assert.equal(stop?.pid, 7);
  assert.equal(stop?.reason, 'link-lost');
  assert.equal(stop?.msg, 'stopping the bot (key [redacted])');
  assert.equal(stop?.url, 'ws://h/all?verifyKey=[redacted]');
  assert.ok(!Number.isNaN(Date.parse(String(stop?.time))));
  assert.ok(!JSON.stringify(seen).includes('s3cr3t-key'));
  assert.deepEqual({ level: bare?.level, msg: bare?.msg, event: bare?.event }, { level: 'warn', msg: 'a bare message', event: undefined });
});

test('a subscriber that throws breaks neither the log call nor the other subscribers', () => {
  const tap = new LogTap();
  const seen: string[] = [];
  tap.subscribe(() => {
    throw new Error('subscriber bug');
  });
  tap.subscribe((record) => seen.push(String(record.event)));
  const { stream, lines } = memoryDestination();
  const logger = createLogger({ level: 'info', format: 'json', destination: stream, tap });
  logger.error({ event: 'restart.giveup', restarts: 3 }, 'gave up');
  assert.deepEqual(seen, ['restart.giveup']);
  assert.equal(lines.length, 1);
});

test('without subscribers the tap is inactive and builds nothing', () => {
  const tap = new LogTap();
  const unsubscribe = tap.subscribe(() => {});
  assert.equal(tap.active, true);
  unsubscribe();
  assert.equal(tap.active, false);
});
