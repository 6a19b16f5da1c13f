// The fuzz suite in `npm test`: every target with a fixed seed and a bounded count (seconds in
// all). The long run with random seeds is `npm run fuzz` (bench/fuzz.ts); what it finds is kept in
// regressions.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeFailure, runTarget } from './target.js';
import { TARGETS } from './targets/index.js';

/** Fixed: the same cases on every run (FUZZ_SEED=<n> to try others). */
const SEED = Number(process.env['FUZZ_SEED'] ?? 20261207);

for (const target of TARGETS) {
  test(`fuzz ${target.name}: ${target.about}`, async () => {
    const stop = await target.setUp?.();
    try {
      const outcome = await runTarget(target, { seed: SEED, numRuns: target.runs });
      assert.equal(outcome.failed, false, describeFailure(outcome));
      assert.equal(outcome.runs, target.runs);
    } finally {
      await stop?.();
    }
  });
}
