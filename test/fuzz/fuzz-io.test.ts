// The fuzz targets that start processes (the CLI) or a server (the reverse listener): fixed seed,
// bounded count, as in fuzz.test.ts.
import { fuzzSuite } from './run-suite.js';
import { WITH_IO } from './targets/index.js';

fuzzSuite(WITH_IO);
