// Every fuzz target, in the order they run.
import type { FuzzTarget } from '../target.js';
import { backendFrames } from './backend-frames.js';
import { configCli } from './config-cli.js';
import { configLoader } from './config-loader.js';
import { envExpand } from './env-expand.js';
import { initReaders } from './init-readers.js';
import { lineScanner } from './line-scanner.js';
import { outputPattern } from './output-pattern.js';
import { reverseHandshake } from './reverse-handshake.js';
import { stateFile } from './state-file.js';

/** In-process targets (npm test: test/fuzz/fuzz.test.ts). */
export const IN_PROCESS: readonly FuzzTarget[] = [configLoader, envExpand, lineScanner, outputPattern, backendFrames, stateFile, initReaders];
/** Targets that start the CLI or a server (npm test: test/fuzz/fuzz-io.test.ts). */
export const WITH_IO: readonly FuzzTarget[] = [configCli, reverseHandshake];

export const TARGETS: readonly FuzzTarget[] = [...IN_PROCESS, ...WITH_IO];
