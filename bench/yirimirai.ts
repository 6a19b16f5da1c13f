// Issue 16 targets on the REAL YiriMirai-rc 0.2.7.3 (the library of QChatGPT 2.x), in a bot written
// like QChatGPT 2.6, with `init --preset qchatgpt`'s config unchanged, against the fake mirai:
//   its link to mirai dropped → answers again within 2 s;
//   started before mirai (mirai down 10 s) → answers within 5 s of mirai being up.
// A friend pings every 100 ms. Run: npm run build && node --import tsx bench/yirimirai.ts [--runs N]
import { FakeMirai } from '../test/helpers/fake-mirai.js';
import { MIRAI_KEY, MIRAI_QQ, freePort, yiriMiraiPreset } from '../test/helpers/framework-configs.js';
import { untilPong } from '../test/helpers/mirai-ping.js';
import { markdownTable, summarize } from './lib/stats.js';
import { argValue, breakdown, pythonOf, seconds, showBreakdown, watch, type Breakdown } from './lib/napcat-stack.js';

const RUNS = argValue('--runs', 5);
const python = pythonOf('.venv-yirimirai');

interface Outcome {
  ms: number;
  reasons: string[];
  parts: Breakdown;
}

async function linkDropped(): Promise<Outcome> {
  const mirai = await FakeMirai.start({ verifyKey: MIRAI_KEY, bots: [MIRAI_QQ] });
  const watched = watch(yiriMiraiPreset(python, mirai.port));
  try {
    await untilPong(mirai, MIRAI_QQ, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const before = watched.restarts();
    const at = Date.now();
    mirai.dropConnection((c) => c.path === '/all');
    const answered = await untilPong(mirai, MIRAI_QQ, 60_000);
    return { ms: answered - at, reasons: watched.records.filter((r) => r.event === 'child.stop').slice(before).map((r) => String(r.reason)), parts: breakdown(watched.records, at, answered) };
  } finally {
    await watched.stop();
    await mirai.stop();
  }
}

async function startedBeforeMirai(): Promise<Outcome> {
  const port = await freePort();
  const watched = watch(yiriMiraiPreset(python, port));
  let mirai: FakeMirai | undefined;
  try {
    await watched.cli.waitForEvent('watchdog.start', () => true, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const at = Date.now();
    mirai = await FakeMirai.start({ verifyKey: MIRAI_KEY, bots: [MIRAI_QQ], port });
    const answered = await untilPong(mirai, MIRAI_QQ, 120_000);
    const spawn = watched.records.find((r) => r.event === 'child.spawn');
    const spawnAt = spawn ? Date.parse(String(spawn.time)) : answered;
    // No stop here: the parts are mirai up → the spawn → the answer.
    return { ms: answered - at, reasons: watched.records.filter((r) => r.event === 'child.stop').map((r) => String(r.reason)), parts: { toStopMs: 0, toSpawnMs: spawnAt - at, toAnswerMs: answered - spawnAt } };
  } finally {
    await watched.stop();
    await mirai?.stop();
  }
}

const scenarios = [
  { name: 'its link to mirai dropped', from: 'the drop', run: linkDropped, targetMs: 2000 },
  { name: 'started before mirai (mirai down 10 s)', from: 'mirai up', run: startedBeforeMirai, targetMs: 5000 },
];
let missed = false;
const rows: string[][] = [];
for (const s of scenarios) {
  const outcomes: Outcome[] = [];
  for (let i = 0; i < RUNS; i++) outcomes.push(await s.run());
  const stats = summarize(outcomes.map((o) => o.ms));
  const ok = stats.maxMs <= s.targetMs;
  if (!ok) missed = true;
  rows.push([s.name, s.from, String(stats.runs), seconds(stats.medianMs), seconds(stats.maxMs), [...new Set(outcomes.flatMap((o) => o.reasons))].join(', ') || '—', showBreakdown(outcomes.map((o) => o.parts)), `≤ ${seconds(s.targetMs)}`, ok ? 'met' : 'missed']);
}
console.log('YiriMirai-rc 0.2.7.3 bot (QChatGPT 2.6 shape), `init --preset qchatgpt` config\n');
console.log(markdownTable(['fault', 'measured from', 'runs', 'median to a pong', 'max', 'restart reasons', 'to the stop + to the spawn + to the pong', 'target', ''], ['l', 'l', 'r', 'r', 'r', 'l', 'r', 'l', 'l'], rows));
process.exit(missed ? 1 : 0);
