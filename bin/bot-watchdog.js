#!/usr/bin/env node
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
