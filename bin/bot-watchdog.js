#!/usr/bin/env node
// V8's optimizing compiler is held back before any of the CLI is loaded: an idle watchdog does not
// need it, and `run` lets it go once it is busy (src/runtime/optimizer-gate.ts).
import { holdOptimizer } from '../dist/runtime/optimizer-gate.js';

holdOptimizer();
// Node opens its inspector on SIGUSR1 unless a listener is installed: never for a watchdog (`run`
// logs and ignores it, src/commands/signal-policy.ts).
process.on('SIGUSR1', () => {});
import('../dist/cli.js')
  .then(({ main }) => main(process.argv.slice(2)))
  .then(
    (code) => process.exit(code),
    (error) => {
      process.stderr.write(`bot-watchdog: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
