// Runs every benchmark in bench/ one after the other (each is also runnable alone) and exits
// non-zero when any of them misses its target. Run: npm run bench
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BENCHES = [
  'kill-tree.ts',
  'detection.ts',
  'detection-bot.ts',
  'detection-listen.ts',
  'link-stall-flood.ts',
  'check.ts',
  'napcat-link.ts',
  // The real frameworks (need scripts/make-venvs.sh): NoneBot2 behind NapCat, NapCat's outage, YiriMirai, the chaos soak.
  'napcat-nonebot2.ts',
  'napcat-outage.ts',
  'yirimirai.ts',
  'napcat-chaos.ts',
  'output-patterns.ts',
  'status-endpoint.ts',
  'overhead.ts',
  'soak.ts',
  'compare.ts',
  'faults.ts',
];
const dir = fileURLToPath(new URL('.', import.meta.url));
const failed: string[] = [];
for (const bench of BENCHES) {
  const path = `${dir}${bench}`;
  if (!existsSync(path)) continue;
  console.log(`\n## bench/${bench}\n`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', path], { stdio: 'inherit' });
  if (run.status !== 0) failed.push(bench);
}
if (failed.length > 0) {
  console.error(`\nmissed a target or failed: ${failed.join(', ')}`);
  process.exit(1);
}
