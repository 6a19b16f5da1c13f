// The differential verdict on a listening bot (probes.link.listen) when NapCat dials the watchdog
// too: the health sink judges the link probe's results against the `linked` facts of the backend,
// on the fake clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { botProbeRule, type ProbeRule } from '../../src/health/probe-rules.js';
import { judgeListenedLink } from '../../src/health/link-verdict.js';
import type { HealthResult } from '../../src/health/types.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeHandle } from '../helpers/fake-handle.js';
import { memoryLogger } from '../helpers/log-sink.js';

const GRACE = 3000;
const LISTEN = '127.0.0.1:8080';
const rule: ProbeRule = { ...botProbeRule('link-lost'), differential: { grace: GRACE } };
/** The probe's view: no connection to the bot for longer than probes.link.grace, its listener alive. */
const deaf = (forMs: number): HealthResult => ({ probe: 'link', verdict: 'unhealthy', reason: `no connection to the bot's ${LISTEN} for ${forMs}ms`, latencyMs: 1, evidence: { listen: LISTEN, listening: true } });
const linkedTo = (links: number): HealthResult => ({ probe: 'link', verdict: 'healthy', reason: 'linked', latencyMs: 1, evidence: { listen: LISTEN, remote: '127.0.0.1:5000', listenedLinks: links } });
const linked = (key: string, on: boolean) => ({ type: 'linked' as const, probe: 'onebot-reverse', key, linked: on, account: Number(key) });

function setup() {
  const log = memoryLogger();
  const clock = new FakeClock();
  const handle = new FakeHandle(clock, log.logger, 0);
  handle.sink.setRule('link', rule);
  handle.spawn();
  return { clock, handle, sink: handle.sink, log };
}

test('NapCat out for 90 s (linked to neither): 0 restarts, the link is `unknown` and says why', async () => {
  const { clock, handle, sink } = setup();
  sink.fact(linked('10001', true));
  await clock.advance(10_000);
  sink.report(linkedTo(1));
  // NapCat dies: its link to the watchdog goes (backend.down follows), and the bot's link with it.
  sink.fact(linked('10001', false));
  for (let t = 0; t < 90_000; t += 2000) {
    await clock.advance(2000);
    sink.report(deaf(t + 2000));
  }
  assert.equal(handle.restarts.length, 0);
  assert.equal(handle.reports.at(-1)?.verdict, 'unknown');
  assert.match(handle.reports.at(-1)?.reason ?? '', /linked to neither the watchdog nor the bot: NapCat is out/);
  // Back: NapCat links the watchdog first; the bot gets probes.link.grace to be linked again.
  sink.fact(linked('10001', true));
  await clock.advance(2000);
  sink.report(deaf(92_000));
  assert.equal(handle.restarts.length, 0);
  assert.match(handle.reports.at(-1)?.reason ?? '', /reconnects to the bot by itself/);
  sink.report(linkedTo(1));
  assert.equal(handle.reports.at(-1)?.verdict, 'healthy');
  assert.equal(handle.restarts.length, 0);
});

test('deaf: NapCat linked to the watchdog for probes.link.grace but not to the bot → restarted (link-lost)', async () => {
  const { clock, handle, sink, log } = setup();
  sink.fact(linked('10001', true));
  await clock.advance(2999);
  sink.report(deaf(5000));
  assert.equal(handle.restarts.length, 0, 'linked to the watchdog for less than the grace');
  await clock.advance(1);
  sink.report(deaf(5001));
  assert.deepEqual(handle.restarts.map((r) => [r.reason, r.at]), [['link-lost', 3000]]);
  assert.match(String(log.events('probe.failed')[0]?.reason), /NapCat is linked to the watchdog \(account 10001\) for 3s but not to the bot: it is deaf/);
});

test('a bot that stopped listening, or reading, is judged on its own whatever NapCat does', () => {
  const { handle, sink } = setup();
  sink.report({ probe: 'link', verdict: 'unhealthy', reason: 'nothing listens', latencyMs: 1, evidence: { listen: LISTEN, listening: false } });
  assert.deepEqual(handle.restarts.map((r) => r.reason), ['link-lost']);
});

test('several accounts: fewer connections to the bot than accounts linked to the watchdog, for the grace, is deaf', async () => {
  const { clock, handle, sink } = setup();
  sink.fact(linked('10001', true));
  sink.fact(linked('20002', true));
  await clock.advance(5000);
  sink.report(linkedTo(2));
  sink.report(linkedTo(1));
  await clock.advance(2999);
  sink.report(linkedTo(1));
  assert.equal(handle.restarts.length, 0);
  await clock.advance(1);
  sink.report(linkedTo(1));
  assert.deepEqual(handle.restarts.map((r) => r.reason), ['link-lost']);
  assert.match(handle.reports.at(-1)?.reason ?? '', /links 2 accounts to the watchdog .* but the bot holds 1 connection/);
});

test('judgeListenedLink is pure: a dialled link, a stall, and a link without listen pass through unchanged', () => {
  const stall: HealthResult = { probe: 'link', verdict: 'unhealthy', reason: 'stalled', latencyMs: 1, evidence: { listen: LISTEN, listening: true, stallMs: 30_000 } };
  const dialled: HealthResult = { probe: 'link', verdict: 'unhealthy', reason: 'no connection to mirai', latencyMs: 1, evidence: { target: '127.0.0.1:8080' } };
  for (const result of [stall, dialled]) assert.equal(judgeListenedLink(result, [], 10_000, GRACE, undefined).result, result);
});
