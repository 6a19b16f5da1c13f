import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { EVENT_NAMES, EVENTS } from '../../src/log/events.js';
import { memoryLogger } from '../helpers/log-sink.js';

const root = new URL('../..', import.meta.url).pathname;

/** The event names in the first column of the "Log events" table (docs/events.md). */
function readmeEvents(): string[] {
  const doc = readFileSync(join(root, 'docs', 'events.md'), 'utf8');
  const start = doc.indexOf('# Log events');
  assert.ok(start >= 0, 'docs/events.md has a "Log events" section');
  const section = doc.slice(start);
  const names: string[] = [];
  for (const line of section.split('\n')) {
    if (!line.startsWith('| `')) continue;
    const first = line.split('|')[1] as string;
    for (const match of first.matchAll(/`([a-z0-9.-]+)`/g)) names.push(match[1] as string);
  }
  return names;
}

test('the docs/events.md table lists exactly the events of the catalogue', () => {
  const documented = readmeEvents();
  assert.deepEqual([...new Set(documented)].sort(), [...EVENT_NAMES].sort());
  assert.equal(new Set(documented).size, documented.length, 'each event is documented once');
});

test('no source file logs around the catalogue (every line goes through EventLog.emit)', () => {
  const offenders: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts') && !path.endsWith(join('log', 'events.ts'))) {
        const text = readFileSync(path, 'utf8');
        if (/\bevent: '/.test(text) || /\.(debug|info|warn|error|fatal)\(\s*\{/.test(text)) offenders.push(path.slice(root.length));
      }
    }
  };
  walk(join(root, 'src'));
  assert.deepEqual(offenders, []);
});

test('emit logs at the catalogue level and tells subscribers; a throwing subscriber changes nothing', () => {
  const { logger, records } = memoryLogger();
  const seen: string[] = [];
  logger.on(() => {
    throw new Error('a broken hook');
  });
  const off = logger.on((record) => seen.push(`${record.event}:${record.level}:${String(record['pid'])}`));
  logger.emit('child.spawn', { pid: 42, command: ['bot'] }, 'started');
  logger.emit('restart.giveup', { restarts: 3, window: 1000 }, 'giving up');
  off();
  logger.emit('child.exit', { pid: 42, code: 0, signal: null, uptimeMs: 5 }, 'exited');
  assert.deepEqual(
    records.map((r) => [r.event, r.level]),
    [
      ['child.spawn', EVENTS['child.spawn'].level],
      ['restart.giveup', 'error'],
      ['child.exit', 'info'],
    ],
  );
  assert.deepEqual(seen, ['child.spawn:info:42', 'restart.giveup:error:undefined']);
});

test('evidence cannot rename an event', () => {
  const { logger, records } = memoryLogger();
  logger.emit('probe.failed', { probe: 'x', reason: 'y', event: 'forged' } as never, 'failed');
  assert.equal(records[0]?.event, 'probe.failed');
});
