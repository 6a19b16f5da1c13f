// Detection latency of the onebot-reverse backend module (src/backend/onebot-reverse) on real
// sockets and real timers: from a NapCat fault (a fake NapCat, the reverse-WebSocket client of
// test/helpers/fake-napcat.ts) to the backend's event. The module's floor: the watchdog adds its
// logging on top. Heartbeat interval of the run: 1 s (NapCat's default is 30 s: the heartbeat rows
// scale with it).
// Run: node --import tsx bench/napcat-link.ts [--runs N]   (exits 1 if a target is missed)
import { performance } from 'node:perf_hooks';
import { OneBotReverseBackend } from '../src/backend/onebot-reverse/backend.js';
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
  const backend = new OneBotReverseBackend({ listen: { host: '127.0.0.1', port: 0 } });
  await backend.start();
  const fake = FakeNapCat.start({ url: `ws://127.0.0.1:${backend.listeningOn()!.port}/`, heartbeatInterval: INTERVAL, reconnectInterval: 60_000 });
  try {
    await new Promise<void>((resolve) => backend.once('ready', () => resolve()));
    // A random phase against the heartbeat timer.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * INTERVAL));
    const seen = new Promise<number>((resolve) => backend.once(scenario.event, () => resolve(performance.now())));
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
