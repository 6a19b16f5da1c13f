#!/usr/bin/env node
import('../dist/cli.js')
  .then(({ main }) => main(process.argv.slice(2)))
  .then(
    (code) => process.exit(code),
    (error) => {
      process.stderr.write(`bot-watchdog: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
