// The long fuzz run: each target of test/fuzz/ for N minutes with fresh random seeds, then the
// cases run per target and every counterexample (its seed and path, to replay it).
//   npm run fuzz -- --minutes 10                    every target, 10 minutes each
//   npm run fuzz -- --minutes 2 --only line-scanner one target
//   npm run fuzz -- --only config-loader --seed 42 --path 10:1:3   replay one case
// Exits 1 when something was found. FUZZ_KNOWN_OPEN=hunt also looks for the open issues the
// suite steers clear of (test/fuzz/target.ts).
import { parseArgs } from 'node:util';
import { randomInt } from 'node:crypto';
import { describeFailure, runTarget, type FuzzOutcome, type FuzzTarget } from '../test/fuzz/target.js';
import { TARGETS } from '../test/fuzz/targets/index.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    only: { type: 'string', multiple: true },
    seed: { type: 'string' },
    path: { type: 'string' },
  },
});

const only = values.only ?? [];
const unknown = only.filter((name) => !TARGETS.some((t) => t.name === name));
if (unknown.length > 0) {
  console.error(`--only ${unknown.join(', ')}: no such target (${TARGETS.map((t) => t.name).join(', ')})`);
  process.exit(2);
}
const minutes = Number(values.minutes);
if (!(minutes > 0)) {
  console.error(`--minutes ${values.minutes}: expected a number of minutes above 0`);
  process.exit(2);
}
const chosen = TARGETS.filter((t) => only.length === 0 || only.includes(t.name));

interface Tally {
  target: string;
  cases: number;
  seconds: number;
  batches: number;
  found: FuzzOutcome | undefined;
}

/** Batches of fresh seeds until the time is up or a counterexample turns up. */
async function soak(target: FuzzTarget, ms: number): Promise<Tally> {
  const stop = await target.setUp?.();
  const started = Date.now();
  const tally: Tally = { target: target.name, cases: 0, seconds: 0, batches: 0, found: undefined };
  try {
    while (Date.now() - started < ms) {
      const left = ms - (Date.now() - started);
      const outcome = await runTarget(target, { seed: randomInt(2 ** 31 - 1), numRuns: target.runs * 20, interruptAfterTimeLimit: left });
      tally.cases += outcome.runs;
      tally.batches++;
      if (outcome.failed) {
        tally.found = outcome;
        console.log(describeFailure(outcome));
        break;
      }
    }
  } finally {
    await stop?.();
  }
  tally.seconds = (Date.now() - started) / 1000;
  console.log(`${target.name}: ${tally.cases} cases in ${tally.seconds.toFixed(0)} s (${tally.batches} seeds)${tally.found ? ': FOUND ONE' : ''}`);
  return tally;
}

async function replay(target: FuzzTarget, seed: number, path: string | undefined): Promise<boolean> {
  const stop = await target.setUp?.();
  try {
    const outcome = await runTarget(target, { seed, numRuns: path === undefined ? target.runs * 20 : 1, ...(path === undefined ? {} : { path }) });
    console.log(outcome.failed ? describeFailure(outcome) : `${target.name}: seed ${seed}${path ? ` path ${path}` : ''}: no counterexample (${outcome.runs} case(s))`);
    return outcome.failed;
  } finally {
    await stop?.();
  }
}

if (values.seed !== undefined) {
  if (chosen.length !== 1) {
    console.error('--seed replays one target: give --only <target>');
    process.exit(2);
  }
  process.exit((await replay(chosen[0] as FuzzTarget, Number(values.seed), values.path)) ? 1 : 0);
}

console.log(`fuzzing ${chosen.length} target(s), ${minutes} min each, random seeds (Node ${process.version})`);
const tallies: Tally[] = [];
for (const target of chosen) tallies.push(await soak(target, minutes * 60_000));
console.log('\n| target | cases | seconds | cases/s | result |\n|---|---:|---:|---:|---|');
for (const t of tallies) {
  console.log(`| ${t.target} | ${t.cases} | ${t.seconds.toFixed(0)} | ${(t.cases / Math.max(1, t.seconds)).toFixed(0)} | ${t.found ? `counterexample (seed ${t.found.seed}, path ${t.found.path})` : 'nothing found'} |`);
}
process.exit(tallies.some((t) => t.found) ? 1 : 0);
