// The fuzz suite in `npm test`, in-process targets: each with a fixed seed and a bounded count.
// The ones that start processes or servers are in fuzz-io.test.ts (each file has its own time
// limit on a loaded machine). The long run with random seeds is `npm run fuzz` (bench/fuzz.ts);
// what it finds is kept in regressions.test.ts.
import { fuzzSuite } from './run-suite.js';
import { IN_PROCESS } from './targets/index.js';

fuzzSuite(IN_PROCESS);
