import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BotProcessProbe } from '../../src/probes/bot-process.js';
import { identityOf } from '../../src/state/identity.js';
import { writeStateFile, type StateFile } from '../../src/state/state-file.js';
import { procAvailable } from '../../src/process/proc-stat.js';
import { sampleState } from '../state/sample-state.js';

const skip = !procAvailable() && 'needs Linux /proc';
const NOW = Date.parse('2026-01-01T01:00:00.000Z');

/** A live "watchdog" (this process) and a live "bot" (a sleeping child), for the test's lifetime. */
async function withBot(body: (bot: { pid: number; identity: ReturnType<typeof identityOf> }) => Promise<void>) {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });
  try {
    await body({ pid: child.pid!, identity: identityOf(child.pid!) });
  } finally {
    child.kill('SIGKILL');
    if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
  }
}

function probeWith(state: StateFile | string) {
  const file = join(mkdtempSync(join(tmpdir(), 'bw-botproc-')), 'state.json');
  if (typeof state === 'string') writeFileSync(file, state);
  else writeStateFile(file, state);
  return new BotProcessProbe(file, () => NOW);
}

function live(botIdentity: ReturnType<typeof identityOf>, extra: Partial<StateFile> = {}): StateFile {
  const base = sampleState();
  return sampleState({
    watchdog: { ...base.watchdog, ...identityOf(process.pid) },
    bot: { ...base.bot!, ...botIdentity, startedAt: '2026-01-01T00:00:00.000Z' },
    ...extra,
  });
}

test('watchdog and bot alive (pid and start time match): healthy, with the bot\'s uptime', { skip }, () =>
  withBot(async ({ pid, identity }) => {
    const result = await probeWith(live(identity)).check();
    assert.equal(result.probe, 'bot-process');
    assert.equal(result.verdict, 'healthy', result.reason);
    assert.equal(result.reason, `bot pid ${pid} up 1h, watchdog pid ${process.pid}`);
    assert.equal(result.details?.botAlive, true);
    assert.equal(typeof result.latencyMs, 'number');
  }));

test('the bot\'s pid alive with another start time (reused pid): unhealthy', { skip }, () =>
  withBot(async ({ pid, identity }) => {
    const result = await probeWith(live({ ...identity, startTime: identity.startTime! + 1 })).check();
    assert.equal(result.verdict, 'unhealthy');
    assert.match(result.reason, new RegExp(`the bot \\(pid ${pid}\\) is gone`));
  }));

test('watchdog dead, bot alive: unhealthy, the bot is orphaned', { skip }, () =>
  withBot(async ({ pid, identity }) => {
    const state = live(identity);
    state.watchdog = { ...state.watchdog, startTime: state.watchdog.startTime! + 1 };
    const result = await probeWith(state).check();
    assert.equal(result.verdict, 'unhealthy');
    assert.match(result.reason, new RegExp(`is not running; its bot \\(pid ${pid}\\) is orphaned`));
  }));

test('a watchdog that stopped, and one in backoff: unhealthy with the reason', { skip }, async () => {
  const stopped = sampleState({ state: 'stopped', bot: null, updatedAt: '2026-01-01T00:55:00.000Z' });
  stopped.watchdog = { ...stopped.watchdog, startTime: 1 };
  const a = await probeWith(stopped).check();
  assert.equal(a.verdict, 'unhealthy');
  assert.match(a.reason, /exited \(5m ago\)/);
  const backoff = sampleState({ state: 'backoff', bot: null });
  backoff.watchdog = { ...backoff.watchdog, ...identityOf(process.pid) };
  const b = await probeWith(backoff).check();
  assert.equal(b.verdict, 'unhealthy');
  assert.match(b.reason, /no bot is running: .* is waiting to restart it \(backoff\) after heartbeat-stale/);
});

test('an unreadable state file: misconfigured (check exits 3)', async () => {
  const result = await probeWith('{ broken').check();
  assert.equal(result.verdict, 'misconfigured');
  assert.match(result.reason, /cannot read the state file .*: not valid JSON/);
  const missing = await new BotProcessProbe('/nonexistent/state.json').check();
  assert.equal(missing.verdict, 'misconfigured');
});
