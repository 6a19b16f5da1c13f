// Registers one node:test test per fuzz target: the fixed seed and bounded count of `npm test`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeFailure, runTarget, type FuzzTarget } from './target.js';

/** Fixed: the same cases on every run (FUZZ_SEED=<n> to try others). */
const SEED = Number(process.env['FUZZ_SEED'] ?? 20261207);

export function fuzzSuite(targets: readonly FuzzTarget[]): void {
  for (const target of targets) {
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
}
