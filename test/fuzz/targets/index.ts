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

export const TARGETS: readonly FuzzTarget[] = [
  configLoader,
  configCli,
  envExpand,
  lineScanner,
  outputPattern,
  backendFrames,
  reverseHandshake,
  stateFile,
  initReaders,
];
