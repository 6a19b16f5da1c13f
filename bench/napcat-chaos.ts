// Issue 16 target, a chaos soak: a healthy REAL NoneBot2 bot behind NapCat, `init --preset
// nonebot2`'s config unchanged, through episodes drawn at random (seeded) for --minutes (10):
//   NapCat killed for 2–60 s; its heartbeats muted for 10–60 s (links open); both its links
//   dropped (it redials after 5 s); the account offline for 5–30 s and back; a burst of 200 messages.
// After each episode a friend pings until the bot answers (30 s at most). Target: 0 restarts of
// the bot, an answer after every episode. Episodes start once startup.grace is over.
// Run: npm run build && node --import tsx bench/napcat-chaos.ts [--minutes N] [--seed S]
import { parseDuration } from '../src/config/duration.js';
import { markdownTable, summarize } from './lib/stats.js';
import { argValue, seconds, startNoneBotStack, type NoneBotStack } from './lib/napcat-stack.js';

const MINUTES = argValue('--minutes', 10);
const SEED = argValue('--seed', 16);
const ANSWER_TIMEOUT_MS = 30_000;

/** mulberry32: a small seeded PRNG, so a run can be repeated. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = prng(SEED);
const between = (min: number, max: number) => Math.round(min + random() * (max - min));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Kind = 'NapCat killed' | 'heartbeats muted' | 'links dropped' | 'account offline and back' | 'burst of 200 messages';

const EPISODES: Record<Kind, (stack: NoneBotStack) => Promise<string>> = {
  'NapCat killed': async ({ napcat }) => {
    const ms = between(2000, 60_000);
    await napcat.stop();
    await sleep(ms);
    napcat.start();
    return seconds(ms);
  },
  'heartbeats muted': async ({ napcat }) => {
    const ms = between(10_000, 60_000);
    napcat.muteHeartbeats(true);
    await sleep(ms);
    napcat.muteHeartbeats(false);
    return seconds(ms);
  },
  'links dropped': async ({ napcat }) => {
    napcat.dropBotLink();
    napcat.watchdog?.drop();
    return '';
  },
  'account offline and back': async ({ napcat }) => {
    const ms = between(5000, 30_000);
    napcat.setAccountOnline(false);
    await sleep(ms);
    napcat.setAccountOnline(true);
    napcat.bot.heartbeat();
    napcat.watchdog?.heartbeat();
    return seconds(ms);
  },
  'burst of 200 messages': async ({ napcat }) => {
    for (let i = 0; i < 200; i++) napcat.message(`/ping ${i}`);
    return '';
  },
};
const KINDS = Object.keys(EPISODES) as Kind[];

interface Episode {
  kind: Kind;
  detail: string;
  answerMs: number | undefined;
  restarts: string[];
}

const stack = await startNoneBotStack();
const episodes: Episode[] = [];
try {
  const spawned = await stack.watched.cli.waitForEvent('child.spawn', () => true, 30_000);
  await stack.napcat.untilAnswers(90_000);
  const graceEnds = Date.parse(String(spawned.time)) + (parseDuration(stack.config['startup'].grace) as number) + 2000;
  await sleep(Math.max(0, graceEnds - Date.now()));
  const end = Date.now() + MINUTES * 60_000;
  while (Date.now() < end) {
    const kind = KINDS[Math.floor(random() * KINDS.length)] as Kind;
    const before = stack.watched.restarts();
    const detail = await EPISODES[kind](stack);
    const over = Date.now();
    let answerMs: number | undefined;
    try {
      answerMs = (await stack.napcat.untilAnswers(ANSWER_TIMEOUT_MS)) - over;
    } catch {
      answerMs = undefined;
    }
    const restarts = stack.watched.records.filter((r) => r.event === 'child.stop').slice(before).map((r) => String(r.reason));
    episodes.push({ kind, detail, answerMs, restarts });
    console.error(`${new Date().toISOString()} ${kind} ${detail}: ${answerMs === undefined ? 'NO ANSWER' : `answered ${seconds(answerMs)} after`}${restarts.length ? `, restarted (${restarts.join(', ')})` : ''}`);
    await sleep(between(2000, 5000));
  }
} finally {
  await stack.stop();
}

const rows = KINDS.map((kind) => {
  const of = episodes.filter((e) => e.kind === kind);
  const answered = of.filter((e) => e.answerMs !== undefined);
  const stats = summarize(answered.map((e) => e.answerMs as number));
  const restarts = of.flatMap((e) => e.restarts);
  return [kind, String(of.length), `${answered.length}/${of.length}`, answered.length ? `${seconds(stats.medianMs)} / ${seconds(stats.maxMs)}` : '—', restarts.length ? `${restarts.length} (${[...new Set(restarts)].join(', ')})` : '0'];
});
const restarts = episodes.reduce((n, e) => n + e.restarts.length, 0);
const unanswered = episodes.filter((e) => e.answerMs === undefined).length;
const met = restarts === 0 && unanswered === 0 && episodes.length > 0;
console.log(`Chaos soak: ${MINUTES} min of episodes (seed ${SEED}) on a healthy NoneBot2 2.5.0 behind NapCat, \`init --preset nonebot2\`\n`);
console.log(markdownTable(['episode', 'times', 'answered after', 'answer after the episode (median / max)', 'bot restarts'], ['l', 'r', 'r', 'r', 'l'], rows));
console.log(`\ntotal: ${episodes.length} episodes, ${restarts} restarts, ${unanswered} without an answer within ${seconds(ANSWER_TIMEOUT_MS)} — target 0 restarts, an answer after every episode: ${met ? 'met' : 'missed'}`);
process.exit(met ? 0 : 1);
