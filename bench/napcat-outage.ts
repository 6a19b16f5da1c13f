// Issue 16 target: NapCat gone (its process stopped: both its links closed, nothing redials) for
// 90 s — or 10 min with --long, or --seconds N — while a healthy REAL NoneBot2 bot keeps listening:
// 0 bot restarts, and the bot answers within 10 s of NapCat's return. `init --preset nonebot2`'s
// config unchanged (bench/lib/napcat-stack.ts); the outage starts after startup.grace.
// Run: npm run build && node --import tsx bench/napcat-outage.ts [--seconds N | --long] [--runs N]
import { parseDuration } from '../src/config/duration.js';
import { markdownTable, summarize } from './lib/stats.js';
import { argValue, seconds, startNoneBotStack } from './lib/napcat-stack.js';

const OUTAGE_MS = (process.argv.includes('--long') ? 600 : argValue('--seconds', 90)) * 1000;
const RUNS = argValue('--runs', 1);
const ANSWER_TARGET_MS = 10_000;

interface Outcome {
  restarts: number;
  reasons: string[];
  answerMs: number;
  backendDown: number;
}

async function once(): Promise<Outcome> {
  const stack = await startNoneBotStack();
  try {
    const spawned = await stack.watched.cli.waitForEvent('child.spawn', () => true, 30_000);
    await stack.napcat.untilAnswers(90_000);
    const graceEnds = Date.parse(String(spawned.time)) + (parseDuration(stack.config['startup'].grace) as number) + 2000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, graceEnds - Date.now())));
    const before = stack.watched.restarts();
    const downBefore = stack.watched.cli.count('backend.down');
    await stack.napcat.stop();
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    const backAt = Date.now();
    stack.napcat.start();
    const answeredAt = await stack.napcat.untilAnswers(180_000);
    const reasons = stack.watched.records.filter((r) => r.event === 'child.stop').slice(before).map((r) => String(r.reason));
    return { restarts: stack.watched.restarts() - before, reasons, answerMs: answeredAt - backAt, backendDown: stack.watched.cli.count('backend.down') - downBefore };
  } finally {
    await stack.stop();
  }
}

const outcomes: Outcome[] = [];
for (let i = 0; i < RUNS; i++) outcomes.push(await once());
const answer = summarize(outcomes.map((o) => o.answerMs));
const restarts = Math.max(...outcomes.map((o) => o.restarts));
const met = restarts === 0 && answer.maxMs <= ANSWER_TARGET_MS;
console.log(`NapCat gone for ${seconds(OUTAGE_MS)} behind a healthy NoneBot2 2.5.0 (\`init --preset nonebot2\`, runs: ${RUNS})\n`);
console.log(
  markdownTable(
    ['outage', 'bot restarts (max per run)', 'their reasons', '`backend.down` logged', 'answers after NapCat is back (median / max)', 'target', ''],
    ['r', 'r', 'l', 'r', 'r', 'l', 'l'],
    [[
      seconds(OUTAGE_MS),
      String(restarts),
      [...new Set(outcomes.flatMap((o) => o.reasons))].join(', ') || '—',
      String(Math.max(...outcomes.map((o) => o.backendDown))),
      `${seconds(answer.medianMs)} / ${seconds(answer.maxMs)}`,
      '0 restarts, ≤ 10 s',
      met ? 'met' : 'missed',
    ]],
  ),
);
process.exit(met ? 0 : 1);
