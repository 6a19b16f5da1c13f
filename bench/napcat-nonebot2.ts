// Issue 16 targets on the REAL NoneBot2 2.5.0 behind NapCat, with `init --preset nonebot2`'s
// config unchanged (bench/lib/napcat-stack.ts): from a fault to the bot answering /ping again.
//   deaf (its server socket and links closed, the process alive) → answers within 15 s;
//   hung (a handler blocks the loop with time.sleep) → within the preset's stall + 5 s;
//   each fault injected late (after startup.grace) and early (5 s after the bot first answered):
//   the early one must be caught just as fast.
// After the fault a user keeps sending /ping every 250 ms (what gives a hung bot unread bytes
// between NapCat's 30 s heartbeats). The four scenarios run side by side (--serial: one by one;
// --fault deaf|hung: only that fault's two). Each run is listed after the table, with when SIGKILL
// came (a hung NoneBot2 never runs its SIGTERM handler: the stop waits stop.hungTimeout).
// Run: npm run build && node --import tsx bench/napcat-nonebot2.ts [--runs N] [--serial] [--fault F]
import { parseDuration } from '../src/config/duration.js';
import { presetConfig } from '../src/init/presets.js';
import { markdownTable, summarize } from './lib/stats.js';
import { argValue, breakdown, seconds, showBreakdown, startNoneBotStack, type Breakdown } from './lib/napcat-stack.js';

const RUNS = argValue('--runs', 1);
const SERIAL = process.argv.includes('--serial');
const FAULT = process.argv.includes('--fault') ? process.argv[process.argv.indexOf('--fault') + 1] : undefined;
if (FAULT !== undefined && FAULT !== 'deaf' && FAULT !== 'hung') {
  console.error(`--fault: expected "deaf" or "hung", got ${JSON.stringify(FAULT)}`);
  process.exit(2);
}

interface Scenario {
  fault: 'deaf' | 'hung';
  when: 'late' | 'early';
}

interface Outcome {
  ms: number;
  reasons: string[];
  parts: Breakdown;
  /** From the stop to SIGKILL, when one was sent. */
  toKillMs?: number;
}

async function once({ fault, when }: Scenario): Promise<Outcome> {
  const stack = await startNoneBotStack();
  try {
    const spawned = await stack.watched.cli.waitForEvent('child.spawn', () => true, 30_000);
    const firstAnswer = await stack.napcat.untilAnswers(90_000);
    const startupGraceMs = parseDuration(stack.config['startup'].grace) as number;
    const injectAt = when === 'early' ? firstAnswer + 5000 : Date.parse(String(spawned.time)) + startupGraceMs + 2000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, injectAt - Date.now())));
    const before = stack.watched.restarts();
    const faultAt = Date.now();
    if (fault === 'deaf') {
      // The fault is in place once the bot closed NapCat's link (a ping before that may still be answered).
      const closed = new Promise((resolve) => stack.napcat.bot.once('close', resolve));
      stack.napcat.message('/deaf');
      await closed;
    } else {
      stack.napcat.message('/hang');
      // The hang handler runs before any later message's (NoneBot dispatches in order).
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const answeredAt = await stack.napcat.untilAnswers(180_000);
    const reasons = stack.watched.records.filter((r) => r.event === 'child.stop').slice(before).map((r) => String(r.reason));
    const parts = breakdown(stack.watched.records, faultAt, answeredAt);
    const kill = stack.watched.records.find((r) => r.event === 'child.kill' && r.signal === 'SIGKILL' && Date.parse(String(r.time)) >= faultAt);
    const toKillMs = kill && parts.toStopMs !== undefined ? Date.parse(String(kill.time)) - faultAt - parts.toStopMs : undefined;
    return { ms: answeredAt - faultAt, reasons, parts, ...(toKillMs === undefined ? {} : { toKillMs }) };
  } finally {
    await stack.stop();
  }
}

async function scenario(s: Scenario): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (let i = 0; i < RUNS; i++) outcomes.push(await once(s));
  return outcomes;
}

const probe = presetConfig('nonebot2') as Record<string, any>;
const stallMs = parseDuration(probe['probes'].link.stall) as number;
const target = (fault: Scenario['fault']) => (fault === 'deaf' ? 15_000 : stallMs + 5000);
const scenarios: Scenario[] = ([
  { fault: 'deaf', when: 'late' },
  { fault: 'deaf', when: 'early' },
  { fault: 'hung', when: 'late' },
  { fault: 'hung', when: 'early' },
] as const).filter((s) => FAULT === undefined || s.fault === FAULT);
const results: Outcome[][] = [];
if (SERIAL) for (const s of scenarios) results.push(await scenario(s));
else results.push(...(await Promise.all(scenarios.map(scenario))));

let missed = false;
const rows = scenarios.map((s, i) => {
  const outcomes = results[i] as Outcome[];
  const stats = summarize(outcomes.map((o) => o.ms));
  const ok = stats.maxMs <= target(s.fault);
  if (!ok) missed = true;
  return [
    s.fault === 'deaf' ? 'deaf (server socket closed, process alive)' : 'hung (time.sleep in a handler)',
    s.when === 'late' ? 'after startup.grace' : '5 s after the first answer',
    String(stats.runs),
    seconds(stats.medianMs),
    seconds(stats.maxMs),
    [...new Set(outcomes.flatMap((o) => o.reasons))].join(', ') || '—',
    showBreakdown(outcomes.map((o) => o.parts)),
    `≤ ${seconds(target(s.fault))}${s.fault === 'hung' ? ' (stall + 5 s)' : ''}`,
    ok ? 'met' : 'missed',
  ];
});
console.log(`NoneBot2 2.5.0 behind NapCat, \`init --preset nonebot2\` timings: link grace ${probe['probes'].link.grace}, stall ${probe['probes'].link.stall}, startup.grace ${probe['startup'].grace}\n`);
console.log(markdownTable(['fault', 'injected', 'runs', 'median to an answer', 'max', 'restart reasons', 'to the stop + to the new spawn + to the answer', 'target', ''], ['l', 'l', 'r', 'r', 'r', 'l', 'r', 'l', 'l'], rows));
console.log('\nEach run: to an answer (to the stop + to the new spawn + to the answer; SIGKILL that long after the stop):');
scenarios.forEach((s, i) => {
  const runs = (results[i] as Outcome[]).map((o) => {
    const { toStopMs, toSpawnMs, toAnswerMs } = o.parts;
    const part = (ms: number | undefined) => (ms === undefined ? '?' : (ms / 1000).toFixed(1));
    const kill = o.toKillMs === undefined ? '' : `; SIGKILL +${part(o.toKillMs)}`;
    return `${seconds(o.ms)} (${part(toStopMs)} + ${part(toSpawnMs)} + ${part(toAnswerMs)}${kill})`;
  });
  console.log(`- ${s.fault} ${s.when}: ${runs.join(', ')}`);
});
process.exit(missed ? 1 : 0);
