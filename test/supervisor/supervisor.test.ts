import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EXIT } from '../../src/exit-codes.js';
import { baseOptions, FakeGate, harness } from './harness.js';

test('restart policy "always": restarts after a crash and after a clean exit, with growing delays', async () => {
  const h = harness(baseOptions());
  await h.flush();
  assert.equal(h.children.length, 1);
  const delays: number[] = [];
  for (const code of [1, 0, 1, 1]) {
    await h.crash(code);
    const scheduled = h.log.events('restart.scheduled').at(-1);
    delays.push(scheduled?.delayMs as number);
    await h.clock.advance(scheduled?.delayMs as number);
  }
  assert.deepEqual(delays, [1000, 2000, 4000, 8000]);
  assert.equal(h.children.length, 5);
  h.supervisor.shutdown('SIGTERM');
  assert.equal(await h.done, 128 + 15);
});

test('backoff is capped at maxDelay and spread by jitter', async () => {
  const h = harness(baseOptions({ restart: { maxDelay: 3000 } as never }));
  await h.flush();
  for (let i = 0; i < 4; i++) {
    await h.crash(1);
    await h.clock.advance(h.log.events('restart.scheduled').at(-1)?.delayMs as number);
  }
  assert.deepEqual(
    h.log.events('restart.scheduled').map((r) => r.delayMs),
    [1000, 2000, 3000, 3000],
  );
  h.supervisor.shutdown('SIGTERM');
  await h.done;
});

test('backoff starts over after resetAfter of uptime', async () => {
  const h = harness(baseOptions());
  await h.flush();
  await h.crash(1); // attempt 1: 1000
  await h.clock.advance(1000);
  await h.crash(1); // attempt 2: 2000
  await h.clock.advance(2000);
  await h.clock.advance(60_000); // a long good run
  await h.crash(1); // back to attempt 1
  const scheduled = h.log.events('restart.scheduled');
  assert.deepEqual(
    scheduled.map((r) => [r.attempt, r.delayMs]),
    [
      [1, 1000],
      [2, 2000],
      [1, 1000],
    ],
  );
  h.supervisor.shutdown('SIGTERM');
  await h.done;
});

test('restart policy "on-failure": a clean exit ends the watchdog with 0, a failure restarts', async () => {
  const h = harness(baseOptions({ restart: { policy: 'on-failure' } as never }));
  await h.flush();
  await h.crash(3);
  assert.equal(h.log.events('restart.scheduled').length, 1);
  await h.clock.advance(1000);
  assert.equal(h.children.length, 2);
  await h.crash(0);
  assert.equal(await h.done, 0);
  assert.equal(h.children.length, 2);
  assert.equal(h.log.events('watchdog.exit')[0]?.code, 0);
});

test('restart policy "never": the watchdog exits with the bot\'s status', async () => {
  const h = harness(baseOptions({ restart: { policy: 'never' } as never }));
  await h.flush();
  await h.crash(null, 'SIGSEGV');
  assert.equal(await h.done, 128 + 11);
  assert.equal(h.children.length, 1);
});

test('gives up after restart.limit.count restarts within the window, and exits non-zero', async () => {
  const h = harness(baseOptions({ restart: { limit: { count: 3, window: 60_000 } } as never }));
  await h.flush();
  for (let i = 0; i < 3; i++) {
    await h.crash(1);
    await h.clock.advance(h.log.events('restart.scheduled').at(-1)?.delayMs as number);
  }
  assert.equal(h.children.length, 4);
  await h.crash(1);
  assert.equal(await h.done, EXIT.GAVE_UP);
  const giveup = h.log.events('restart.giveup');
  assert.equal(giveup.length, 1);
  assert.equal(giveup[0]?.restarts, 3);
  assert.equal(giveup[0]?.window, 60_000);
});

test('restarts spread wider than the limit window never give up', async () => {
  const h = harness(baseOptions({ restart: { limit: { count: 2, window: 10_000 }, resetAfter: 1_000_000 } as never }));
  await h.flush();
  for (let i = 0; i < 6; i++) {
    await h.clock.advance(6000);
    await h.crash(1);
    await h.clock.advance(h.log.events('restart.scheduled').at(-1)?.delayMs as number);
  }
  assert.equal(h.children.length, 7);
  assert.equal(h.exitCode(), undefined);
  h.supervisor.shutdown('SIGTERM');
  await h.done;
});

test('a probe restart stops the tree with stop.signal and goes through backoff and the limit', async () => {
  const h = harness(baseOptions({ restart: { limit: { count: 1, window: 60_000 } } as never, stop: { signal: 'SIGINT', timeout: 7000 } }));
  await h.flush();
  assert.equal(h.supervisor.requestRestart('link-lost', { lastSeenMs: 31000 }), true);
  await h.flush();
  assert.deepEqual(h.kills[0]?.request.signal, 'SIGINT');
  assert.equal(h.kills[0]?.request.timeout, 7000);
  const stop = h.log.events('child.stop')[0];
  assert.equal(stop?.reason, 'link-lost');
  assert.equal(stop?.lastSeenMs, 31000);
  assert.equal(h.log.events('child.kill')[0]?.signal, 'SIGINT');
  assert.equal(h.log.events('restart.scheduled')[0]?.reason, 'link-lost');
  await h.clock.advance(1000);
  h.supervisor.requestRestart('output-match');
  await h.flush();
  assert.equal(await h.done, EXIT.GAVE_UP);
});

test('requestRestart is refused when no bot runs', async () => {
  const h = harness(baseOptions());
  await h.flush();
  await h.crash(1);
  assert.equal(h.supervisor.state(), 'backoff');
  assert.equal(h.supervisor.requestRestart('output-match'), false);
  h.supervisor.shutdown('SIGTERM');
  await h.done;
});

test('backend outages never count toward the limit and wait for the backend instead of a backoff', async () => {
  const gate = new FakeGate(false);
  const h = harness(baseOptions({ restart: { limit: { count: 1, window: 60_000 } } as never }), { gate });
  await h.flush();
  assert.equal(h.children.length, 0, 'nothing is spawned before the backend is ready');
  assert.equal(h.supervisor.state(), 'waiting-backend');
  gate.set(true);
  await h.flush();
  assert.equal(h.children.length, 1);
  for (let i = 0; i < 5; i++) {
    gate.set(false);
    h.supervisor.requestRestart('backend-down');
    await h.flush();
    assert.equal(h.supervisor.state(), 'waiting-backend');
    assert.equal(h.children.length, i + 1);
    gate.set(true);
    await h.flush();
    assert.equal(h.children.length, i + 2);
  }
  assert.ok(h.log.events('restart.scheduled').every((r) => r.delayMs === 0 && r.reason === 'backend-down'));
  // The bot crashing by itself while the backend is away is an outage too.
  gate.set(false);
  await h.crash(1);
  assert.equal(h.log.events('restart.scheduled').at(-1)?.reason, 'backend-down');
  gate.set(true);
  await h.flush();
  assert.equal(h.exitCode(), undefined);
  h.supervisor.shutdown('SIGTERM');
  await h.done;
});

test('startup.timeout gives up waiting for the backend with its own exit code', async () => {
  const gate = new FakeGate(false);
  const h = harness(baseOptions({ startup: { waitForBackend: true, timeout: 5000 } }), { gate });
  await h.flush();
  await h.clock.advance(4999);
  assert.equal(h.exitCode(), undefined);
  await h.clock.advance(1);
  assert.equal(await h.done, EXIT.BACKEND_TIMEOUT);
  assert.equal(h.children.length, 0);
  assert.equal(h.log.events('backend.timeout').length, 1);
});

test('SIGTERM stops the tree and the watchdog exits with the bot\'s status', async () => {
  const h = harness(baseOptions());
  await h.flush();
  h.supervisor.shutdown('SIGTERM');
  assert.equal(await h.done, 128 + 15);
  assert.equal(h.kills[0]?.request.signal, 'SIGTERM');
  assert.equal(h.log.events('child.stop')[0]?.reason, 'shutdown');
  assert.equal(h.log.events('watchdog.exit')[0]?.code, 143);
});

test('SIGINT is forwarded as SIGINT; a bot that exits 0 on it makes the watchdog exit 0', async () => {
  const h = harness(baseOptions(), { killIgnores: true });
  await h.flush();
  h.supervisor.shutdown('SIGINT');
  await h.flush();
  assert.equal(h.kills[0]?.request.signal, 'SIGINT');
  h.last().exit(0);
  assert.equal(await h.done, 0);
});

test('a second SIGTERM kills the tree with SIGKILL at once', async () => {
  const h = harness(baseOptions(), { killIgnores: true });
  await h.flush();
  h.supervisor.shutdown('SIGTERM');
  await h.flush();
  h.supervisor.shutdown('SIGTERM');
  await h.flush();
  assert.deepEqual(
    h.kills.map((k) => [k.request.signal, k.request.timeout]),
    [
      ['SIGTERM', 5000],
      ['SIGKILL', 0],
    ],
  );
  h.last().exit(null, 'SIGKILL');
  assert.equal(await h.done, 137);
});

test('a shutdown during the backoff exits at once, keeping the last status of the bot', async () => {
  const h = harness(baseOptions());
  await h.flush();
  await h.crash(1);
  h.supervisor.shutdown('SIGTERM');
  assert.equal(await h.done, 1, 'the last status of the bot is kept');
  assert.equal(h.children.length, 1);
});

test('SIGHUP restarts the running bot now, and cuts a backoff short', async () => {
  const h = harness(baseOptions({ restart: { limit: { count: 1, window: 60_000 } } as never }));
  await h.flush();
  h.supervisor.hangup();
  await h.flush();
  assert.equal(h.children.length, 2, 'restarted without backoff');
  assert.equal(h.log.events('child.stop')[0]?.reason, 'sighup');
  await h.crash(1);
  assert.equal(h.supervisor.state(), 'backoff');
  h.supervisor.hangup();
  await h.flush();
  assert.equal(h.children.length, 3);
  assert.equal(h.exitCode(), undefined, 'SIGHUP restarts do not count toward the limit');
  h.supervisor.shutdown('SIGTERM');
  await h.done;
});

test('a command that cannot be started exits 127 (not found) without retrying', async () => {
  const h = harness(baseOptions(), { spawnError: 'ENOENT' });
  assert.equal(await h.done, EXIT.NOT_FOUND);
  assert.equal(h.children.length, 1);
  assert.match(String(h.log.events('child.error')[0]?.msg), /cannot start the bot/);
});

test('the bot gets the tree marker in its environment', async () => {
  const h = harness(baseOptions());
  await h.flush();
  assert.equal(h.last().spec.env.BOT_WATCHDOG_TREE, 'test');
  h.supervisor.shutdown('SIGTERM');
  await h.done;
});

test('startup.timeout names the last reason the gate gave', async () => {
  const gate = Object.assign(new FakeGate(false), { lastReason: () => 'mirai-http: GET /about: connection refused' });
  const h = harness(baseOptions({ startup: { waitForBackend: true, timeout: 1000 } }), { gate });
  await h.flush();
  await h.clock.advance(1000);
  assert.equal(await h.done, EXIT.BACKEND_TIMEOUT);
  const record = h.log.events('backend.timeout')[0];
  assert.equal(record?.lastReason, 'mirai-http: GET /about: connection refused');
  assert.match(String(record?.msg), /startup\.timeout \(1000ms\): mirai-http: GET \/about: connection refused; giving up/);
});

test('a SIGHUP that arrives while the tree is being stopped starts the bot right after, without backoff', async () => {
  let release!: () => void;
  const killHold = new Promise<void>((resolve) => (release = resolve));
  const h = harness(baseOptions({ restart: { policy: 'on-failure' } as never }), { killHold });
  await h.flush();
  await h.crash(0); // a clean exit: on-failure would end the watchdog…
  assert.equal(h.supervisor.state(), 'stopping');
  h.supervisor.hangup(); // …but the operator asked for a restart while the leftovers were killed
  release();
  await h.flush();
  assert.equal(h.children.length, 2);
  assert.equal(h.log.events('restart.scheduled').at(-1)?.reason, 'sighup');
  assert.equal(h.exitCode(), undefined);
  h.supervisor.shutdown('SIGTERM');
  await h.done;
});

test('SIGHUP while waiting for the backend does not start a bot that could not connect', async () => {
  const gate = new FakeGate(false);
  const h = harness(baseOptions(), { gate });
  await h.flush();
  h.supervisor.hangup();
  await h.flush();
  assert.equal(h.children.length, 0);
  assert.equal(h.log.events('watchdog.sighup').length, 1);
  gate.set(true);
  await h.flush();
  assert.equal(h.children.length, 1);
  h.supervisor.shutdown('SIGTERM');
  await h.done;
});

test('policy "never" still brings the bot back after a backend outage the watchdog stopped it for', async () => {
  const gate = new FakeGate(true);
  const h = harness(baseOptions({ restart: { policy: 'never' } as never }), { gate });
  await h.flush();
  gate.set(false);
  h.supervisor.requestRestart('backend-down');
  await h.flush();
  assert.equal(h.exitCode(), undefined);
  gate.set(true);
  await h.flush();
  assert.equal(h.children.length, 2);
  await h.crash(5); // its own failure: "never" applies
  assert.equal(await h.done, 5);
});

test('restarts without backoff (outages) do not make the next crash wait longer', async () => {
  const gate = new FakeGate(true);
  const h = harness(baseOptions(), { gate });
  await h.flush();
  for (let i = 0; i < 4; i++) {
    h.supervisor.requestRestart('backend-down');
    await h.flush();
  }
  await h.crash(1);
  const last = h.log.events('restart.scheduled').at(-1);
  assert.deepEqual([last?.reason, last?.attempt, last?.delayMs], ['exited', 1, 1000]);
  h.supervisor.shutdown('SIGTERM');
  await h.done;
});

test('a shutdown while waiting for the backend after a run keeps the last status of the bot', async () => {
  const gate = new FakeGate(true);
  const h = harness(baseOptions(), { gate });
  await h.flush();
  gate.set(false);
  await h.crash(9); // crashed during the outage: waits for the backend
  assert.equal(h.supervisor.state(), 'waiting-backend');
  h.supervisor.shutdown('SIGTERM');
  assert.equal(await h.done, 9);
});

test('a spawn failure after the bot once ran is logged and retried by the policy', async () => {
  const h = harness(baseOptions());
  await h.flush();
  await h.crash(1);
  await h.clock.advance(1000);
  h.last().exit(null, null, { code: 'ENOENT', message: 'spawn bot ENOENT' });
  await h.flush();
  assert.equal(h.log.events('child.error').length, 1);
  assert.equal(h.exitCode(), undefined);
  h.supervisor.shutdown('SIGTERM');
  assert.equal(await h.done, 127);
});

test('beforeSpawn runs before every start (the port wait); a shutdown while it waits exits without a start', async () => {
  const waits: { signal: AbortSignal; release: () => void }[] = [];
  const h = harness(baseOptions(), {
    beforeSpawn: (signal) => new Promise<void>((release) => waits.push({ signal, release })),
  });
  await h.flush();
  assert.equal(waits.length, 1);
  assert.equal(h.children.length, 0, 'nothing spawned while it waits');
  waits[0]?.release();
  await h.flush();
  assert.equal(h.children.length, 1);
  await h.crash(1);
  await h.clock.advance(1000);
  assert.equal(waits.length, 2, 'again before the restart');
  assert.equal(h.children.length, 1);
  h.supervisor.shutdown('SIGTERM');
  assert.equal(waits[1]?.signal.aborted, true, 'the wait is told to stop');
  waits[1]?.release();
  assert.equal(await h.done, 1, "the last bot's status");
  assert.equal(h.children.length, 1, 'no start after the shutdown');
});

test('restart.flapping on virtual time: the stop is never delayed; after 3 quick outage restarts each start waits 10 s, 20 s…; SIGHUP cuts it short', async () => {
  const gate = new FakeGate(true);
  const flapping = { count: 3, window: 600_000, delay: 10_000, maxDelay: 40_000 };
  const h = harness(baseOptions({ restart: { limit: { count: 1, window: 600_000 }, flapping } as never }), { gate });
  await h.flush();
  const spawnedAt: number[] = [h.clock.now()];
  // A backend that drops every link a second after the bot started.
  for (let i = 0; i < 6; i++) {
    await h.clock.advance(1000);
    const before = h.children.length;
    assert.equal(h.supervisor.requestRestart('backend-down', { blip: true }), true, 'the stop is asked for at once');
    await h.flush();
    assert.equal(h.kills.length, i + 1, 'and the tree is stopped at once');
    while (h.children.length === before) await h.clock.advance(100);
    spawnedAt.push(h.clock.now());
  }
  const gaps = spawnedAt.slice(1).map((at, i) => at - (spawnedAt[i] as number) - 1000);
  assert.deepEqual(gaps, [0, 0, 0, 10_000, 20_000, 40_000]);
  const flaps = h.log.events('backend.flapping');
  assert.deepEqual(
    flaps.map((r) => [r.outages, r.delayMs, r.windowMs, r.reason]),
    [
      [4, 10_000, 600_000, 'backend-down'],
      [5, 20_000, 600_000, 'backend-down'],
      [6, 40_000, 600_000, 'backend-down'],
    ],
  );
  assert.equal(flaps[0]?.level, 'warn');
  assert.deepEqual(h.log.events('restart.scheduled').map((r) => r.delayMs), [0, 0, 0, 10_000, 20_000, 40_000]);
  assert.equal(h.log.events('restart.giveup').length, 0, 'outage restarts still never count toward the limit');

  // The next one waits the cap; an operator's SIGHUP starts the bot now.
  await h.clock.advance(1000);
  h.supervisor.requestRestart('backend-down');
  await h.flush();
  assert.equal(h.supervisor.state(), 'backoff');
  const before = h.children.length;
  h.supervisor.hangup();
  await h.flush();
  assert.equal(h.children.length, before + 1);

  // Ten quiet minutes: restarts are immediate again.
  await h.clock.advance(600_000);
  h.supervisor.requestRestart('backend-down');
  await h.flush();
  assert.equal(h.children.length, before + 2);
  h.supervisor.shutdown('SIGTERM');
  await h.done;
});

test('stop.hungTimeout: a hung bot (stalled reader, frozen heartbeat, silence) gets SIGKILL after it; other stops wait stop.timeout', async () => {
  const h = harness(baseOptions({ stop: { signal: 'SIGTERM', timeout: 10_000, hungTimeout: 3000 } }));
  await h.flush();
  const reasons = ['link-stalled', 'link-lost', 'heartbeat-stale', 'output-match', 'output-silent', 'sighup'] as const;
  for (const reason of reasons) {
    assert.equal(h.supervisor.requestRestart(reason), true, reason);
    await h.flush();
    await h.clock.advance(60_000); // past any backoff: the next bot runs
  }
  assert.deepEqual(
    h.kills.map((k) => [k.request.signal, k.request.timeout]),
    [['SIGTERM', 3000], ['SIGTERM', 10_000], ['SIGTERM', 3000], ['SIGTERM', 10_000], ['SIGTERM', 3000], ['SIGTERM', 10_000]],
  );
  assert.deepEqual(h.log.events('child.stop').map((e) => [e.reason, e.killAfterMs]), reasons.map((r, i) => [r, h.kills[i]?.request.timeout]));
  // A shutdown waits stop.timeout, whatever was wrong before.
  h.supervisor.shutdown('SIGTERM');
  await h.flush();
  assert.equal(h.kills.at(-1)?.request.timeout, 10_000);
  await h.done;
});
