// Detection latency of the onebot-reverse backend (its listener, src/backend/onebot-reverse, and the
// one backend reducer) on real sockets and real timers: from a NapCat fault (a fake NapCat, the
// reverse-WebSocket client of test/helpers/fake-napcat.ts) to the backend's fact in the health sink. The module's floor: the watchdog adds its
// logging on top. Heartbeat interval of the run: 1 s (NapCat's default is 30 s: the heartbeat rows
// scale with it).
// Run: node --import tsx bench/napcat-link.ts [--runs N]   (exits 1 if a target is missed)
import { performance } from 'node:perf_hooks';
import { BackendWatcher } from '../src/backend/backend-watcher.js';
import { NapCatListener } from '../src/backend/onebot-reverse/listener.js';
import { POLICIES } from '../src/backend/policy.js';
import { systemClock } from '../src/clock/clock.js';
import { HealthSink } from '../src/health/health-sink.js';
import { createEventLog } from '../src/log/logger.js';
import { FakeNapCat } from '../test/helpers/fake-napcat.js';
import { markdownTable, summarize } from './lib/stats.js';

const INTERVAL = 1000;
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 7;

type Event = 'down' | 'account-offline' | 'ready';

interface Scenario {
  fault: string;
  measuredFrom: string;
  event: Event;
  /** Injects the fault after the link is ready; resolves with the moment (performance.now) it counts from. */
  inject(fake: FakeNapCat): Promise<number>;
  target: { maxMs: number; label: string };
}

const SCENARIOS: Scenario[] = [
  {
    fault: "NapCat's heartbeats stop (link stays open)",
    measuredFrom: 'the last heartbeat',
    event: 'down',
    inject: async (fake) => {
      fake.heartbeat();
      const last = performance.now();
      fake.stopHeartbeats();
      return last;
    },
    target: { maxMs: 2 * INTERVAL + 1000, label: 'max ≤ 2 × interval + 1 s' },
  },
  {
    fault: 'NapCat gone (link dropped, no reconnect)',
    measuredFrom: 'the last heartbeat',
    event: 'down',
    inject: async (fake) => {
      fake.heartbeat();
      const last = performance.now();
      fake.stopHeartbeats();
      await fake.stop();
      return last;
    },
    target: { maxMs: 2 * INTERVAL + 1000, label: 'max ≤ 2 × interval + 1 s' },
  },
  {
    fault: 'account kicked (`bot_offline` notice)',
    measuredFrom: 'the notice sent',
    event: 'account-offline',
    inject: async (fake) => {
      const at = performance.now();
      fake.kick();
      return at;
    },
    target: { maxMs: 100, label: 'max < 100 ms' },
  },
  {
    fault: 'account offline (heartbeat `status.online=false`)',
    measuredFrom: 'that heartbeat sent',
    event: 'account-offline',
    inject: async (fake) => {
      fake.setOnline(false);
      const at = performance.now();
      fake.heartbeat();
      return at;
    },
    target: { maxMs: 100, label: 'max < 100 ms' },
  },
];

async function once(scenario: Scenario): Promise<number> {
  const clock = systemClock;
  const logger = createEventLog({ level: 'silent', format: 'json' });
  const sink = new HealthSink({ log: logger, clock, startupGrace: 0 });
  const listener = new NapCatListener({ listen: { host: '127.0.0.1', port: 0 }, clock, logger, health: sink });
  const backend = new BackendWatcher({ policy: POLICIES['onebot-reverse'], listener: () => listener, interval: 1000, timeout: 1000, failureThreshold: 3, port: sink.port(), clock, logger });
  const fact = (type: Event) =>
    new Promise<number>((resolve) => {
      const off = sink.subscribe((update) => {
        if (update.kind !== 'backend' || update.fact.type !== type) return;
        off();
        resolve(performance.now());
      });
    });
  await backend.start();
  const fake = FakeNapCat.start({ url: `ws://127.0.0.1:${listener.listeningOn()!.port}/`, heartbeatInterval: INTERVAL, reconnectInterval: 60_000 });
  try {
    await fact('ready');
    // A random phase against the heartbeat timer.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * INTERVAL));
    const seen = fact(scenario.event);
    const from = await scenario.inject(fake);
    return Math.round((await seen) - from);
  } finally {
    await fake.stop();
    await backend.stop();
  }
}

const rows: string[][] = [];
let missed = false;
for (const scenario of SCENARIOS) {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) times.push(await once(scenario));
  const { runs, medianMs, maxMs } = summarize(times);
  const met = maxMs <= scenario.target.maxMs;
  if (!met) missed = true;
  rows.push([scenario.fault, scenario.event, scenario.measuredFrom, String(runs), String(medianMs), String(maxMs), scenario.target.label, met ? 'yes' : 'no']);
}
console.log(markdownTable(['fault', 'event', 'measured from', 'runs', 'median ms', 'max ms', 'target', 'met'], ['l', 'l', 'l', 'r', 'r', 'r', 'l', 'l'], rows));
process.exit(missed ? 1 : 0);
