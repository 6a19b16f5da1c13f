import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prettyLine } from '../../src/log/pretty.js';
import { fixture, runWatchdog } from '../helpers/watchdog-process.js';

const time = '2026-05-01T10:00:00.123Z';
const local = (iso: string) => {
  const d = new Date(iso);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
};

test('one line per event: time, level, event, message, then the fields as short key=value', () => {
  const line = prettyLine(
    {
      level: 'warn',
      time,
      event: 'probe.failed',
      probe: 'heartbeat',
      reason: 'file is 600s old',
      ageMs: 600_000,
      ok: false,
      since: null,
      pids: [1, 2, 3],
      msg: 'heartbeat: file is 600s old',
    },
    { color: false },
  );
  assert.equal(
    line,
    `${local(time)} WARN  probe.failed heartbeat: file is 600s old probe=heartbeat reason="file is 600s old" ageMs=600000 ok=false since=null pids=[1,2,3]\n`,
  );
});

test('long values, objects and multi-line texts stay on the one line, cut short', () => {
  const line = prettyLine(
    {
      level: 'error',
      time,
      event: 'watchdog.crash',
      command: ['python3', 'x'.repeat(200)],
      detail: 'first\nsecond',
      err: { type: 'TypeError', message: 'boom\nmore', stack: 'TypeError: boom\n    at x (y.js:1:1)' },
      msg: 'internal error\nsecond line',
    },
    { color: false, maxValueChars: 40 },
  );
  assert.equal(line.split('\n').length, 2, line);
  assert.ok(line.endsWith('\n'));
  assert.match(line, / ERROR watchdog\.crash internal error\\nsecond line /);
  assert.match(line, / command=\["python3","x{27}…/);
  assert.match(line, / detail="first\\nsecond"/);
  assert.match(line, / err="TypeError: boom\\nmore"$/m);
  assert.doesNotMatch(line, /at x \(y\.js/);
});

test('colours only when asked', () => {
  const record = { level: 'info', time, event: 'child.spawn', pid: 42, msg: 'started the bot' };
  assert.doesNotMatch(prettyLine(record, { color: false }), /\u001b\[/);
  const colored = prettyLine(record, { color: true });
  assert.match(colored, /\u001b\[32mINFO \u001b\[0m/);
  assert.equal(colored.replace(/\u001b\[[0-9;]*m/g, ''), prettyLine(record, { color: false }));
});

test('--log-format pretty: our events are one line each; the bot\'s output passes byte for byte', async () => {
  const run = runWatchdog(['run', '--log-format', 'pretty', '--', process.execPath, fixture('bots/echo-output.mjs')], { cwd: mkdtempSync(join(tmpdir(), 'bw-pretty-')) });
  await run.waitForStdout(/partial-no-newline$/);
  assert.equal(run.stdout(), '\x1b[32mgreen 绿色\x1b[0m\nline two\npartial-no-newline');
  run.kill('SIGTERM');
  await run.exited;
  const lines = run.stderr().trimEnd().split('\n');
  assert.ok(lines.includes('to stderr'), run.stderr());
  const ours = lines.filter((l) => l !== 'to stderr');
  // Every other line is one event: no multi-line field dumps, no JSON.
  for (const line of ours) assert.match(line, /^\d\d:\d\d:\d\d\.\d{3} (TRACE|DEBUG|INFO |WARN |ERROR|FATAL) [a-z0-9]+\.[a-z0-9.-]+ /, line);
  const eventOf = (l: string) => /^\S+ \S+ +(\S+)/.exec(l)?.[1];
  const events = ours.map(eventOf);
  for (const event of ['watchdog.start', 'child.spawn', 'watchdog.shutdown', 'child.exit', 'watchdog.exit']) assert.ok(events.includes(event), `${event} in ${events.join(', ')}`);
  const spawn = ours.find((l) => eventOf(l) === 'child.spawn')!;
  assert.match(spawn, / pid=\d+ command=\[/);
});
