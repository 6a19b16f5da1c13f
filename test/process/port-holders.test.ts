import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { findPortHolders, waitForFreePorts } from '../../src/process/port-holders.js';
import { FakeProc, tcpLine } from '../helpers/fake-proc.js';
import { memoryLogger } from '../helpers/log-sink.js';
import { systemClock } from '../../src/clock/clock.js';

function fakeProc(t: TestContext): FakeProc {
  const proc = new FakeProc();
  t.after(() => proc.cleanup());
  return proc;
}

/** A virtual clock: sleep() advances it and runs what the test scheduled for that time. */
function virtualClock(schedule: [number, () => void][] = []) {
  let now = 0;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleeps,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
      for (const [at, action] of schedule) if (at <= now) action();
      schedule = schedule.filter(([at]) => at > now);
    },
  };
}

test('findPortHolders: LISTEN sockets on the port, their pid and command; other ports, addresses and states do not count', (t) => {
  const proc = fakeProc(t)
    .add({ pid: 400, ppid: 1, sockets: [11] })
    .add({ pid: 401, ppid: 400, sockets: [11] }) // a forked worker sharing the socket
    .add({ pid: 500, ppid: 1, sockets: [12, 13, 14] })
    .net(
      undefined,
      [
        tcpLine(0, '0.0.0.0:2280', '0.0.0.0:0', 11, 0x0a),
        tcpLine(1, '10.0.0.5:2281', '0.0.0.0:0', 12, 0x0a),
        tcpLine(2, '127.0.0.1:2280', '127.0.0.1:51000', 13), // ESTABLISHED on the port: no clash
        tcpLine(3, '127.0.0.1:3000', '0.0.0.0:0', 14, 0x0a),
      ],
      [tcpLine(0, '[::]:2281', '[::]:0', 15, 0x0a)], // held by nobody we can see
    );
  writeFileSync(join(proc.root, '400', 'cmdline'), 'python3\0main.py\0');
  assert.deepEqual(findPortHolders([{ host: undefined, port: 2280 }], proc.root), [
    { port: ':2280', listening: '0.0.0.0:2280', pid: 400, command: 'python3 main.py' },
  ]);
  assert.deepEqual(
    findPortHolders([{ host: '127.0.0.1', port: 2281 }], proc.root).map((h) => [h.listening, h.pid]),
    [['[::]:2281', undefined]],
    '10.0.0.5:2281 does not clash with 127.0.0.1:2281; [::]:2281 does',
  );
  assert.deepEqual(findPortHolders([{ host: undefined, port: 9999 }], proc.root), []);
  assert.deepEqual(findPortHolders([{ host: undefined, port: 2280 }], '/nonexistent-proc'), [], 'no /proc: nothing to wait for');
});

test('waitForFreePorts: free at once costs nothing; a held port is waited for until released, logged once each way', async (t) => {
  const proc = fakeProc(t).add({ pid: 400, ppid: 1, sockets: [11] }).net(undefined, []);
  const clock = virtualClock();
  const log = memoryLogger();
  const free = await waitForFreePorts([2280], 5000, { procRoot: proc.root, now: clock.now, sleep: clock.sleep, log: log.logger });
  assert.deepEqual(free, { free: true, waitedMs: 0, holders: [], stillHeld: [] });
  assert.equal(clock.sleeps.length, 0);
  assert.equal(log.records.length, 0);

  proc.net(undefined, [tcpLine(0, '0.0.0.0:2280', '0.0.0.0:0', 11, 0x0a)]);
  const released = virtualClock([[1250, () => proc.net(undefined, [])]]);
  const result = await waitForFreePorts([{ host: '127.0.0.1', port: 2280 }], 5000, { procRoot: proc.root, now: released.now, sleep: released.sleep, log: log.logger, pollMs: 100 });
  assert.equal(result.free, true);
  assert.equal(result.waitedMs, 1300, 'seen free at the first look after the release');
  assert.deepEqual(result.holders.map((h) => [h.port, h.listening, h.pid]), [['127.0.0.1:2280', '0.0.0.0:2280', 400]]);
  assert.deepEqual(released.sleeps, new Array(13).fill(100));
  const busy = log.events('child.port-busy');
  assert.equal(busy.length, 1);
  assert.equal(busy[0]?.level, 'warn');
  assert.match(String(busy[0]?.msg), /^0\.0\.0\.0:2280 is held by pid 400: waiting up to 5000 ms before starting the bot$/);
  assert.deepEqual(log.events('child.port-free').map((r) => r.waitedMs), [1300]);
});

test('waitForFreePorts: a port never released is given up at the timeout, with who still holds it', async (t) => {
  const proc = fakeProc(t).add({ pid: 400, ppid: 1, sockets: [11] }).net(undefined, [tcpLine(0, '0.0.0.0:2280', '0.0.0.0:0', 11, 0x0a)]);
  const clock = virtualClock();
  const log = memoryLogger();
  const result = await waitForFreePorts([2280], 1000, { procRoot: proc.root, now: clock.now, sleep: clock.sleep, log: log.logger, pollMs: 300 });
  assert.equal(result.free, false);
  assert.equal(result.waitedMs, 1000);
  assert.deepEqual(clock.sleeps, [300, 300, 300, 100], 'the last sleep ends exactly at the timeout');
  assert.equal(result.stillHeld[0]?.pid, 400);
  assert.deepEqual(log.events('child.port-timeout').map((r) => r.waitedMs), [1000]);
  const aborted = await waitForFreePorts([2280], 60_000, { procRoot: proc.root, now: clock.now, sleep: clock.sleep, signal: AbortSignal.abort() });
  assert.equal(aborted.free, false, 'a stopping watchdog does not wait');
});

test('real sockets: a process LISTENing on the port is found by pid and command, and the wait ends when it exits', async (t) => {
  const holder = spawn(process.execPath, ['-e', "const s=require('net').createServer().listen(0,'127.0.0.1',()=>console.log(s.address().port));process.stdin.on('data',()=>process.exit(0))"], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  t.after(() => holder.kill('SIGKILL'));
  const [line] = (await once(createInterface({ input: holder.stdout! }), 'line')) as [string];
  const port = Number(line);
  const holders = findPortHolders([{ host: undefined, port }]);
  assert.deepEqual(holders.map((h) => [h.listening, h.pid]), [[`127.0.0.1:${port}`, holder.pid]]);
  assert.match(String(holders[0]?.command), /^\S*node\S* -e const s=require/);

  const waiting = waitForFreePorts([port], 20_000, { pollMs: 20, now: systemClock.now });
  holder.stdin!.write('exit\n');
  const result = await waiting;
  assert.equal(result.free, true);
  assert.equal(result.holders[0]?.pid, holder.pid);
  assert.deepEqual(findPortHolders([{ host: undefined, port }]), []);
});
