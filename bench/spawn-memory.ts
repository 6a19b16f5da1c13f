// What the process runner costs a long-running watchdog: private memory (RssAnon) of a Node
// process that has spawned one long-lived child (its stdout/stderr piped through) with
// node:child_process (what src/process/run-process.ts uses) or with execa, beside one that spawned
// nothing; and the time to load each. Each sample is a fresh process, measured after two GCs.
// Run: node --import tsx bench/spawn-memory.ts [rounds]
import { spawnSync } from 'node:child_process';

const rounds = Number(process.argv[2] ?? 3);
const probe = (mode: string) => `
const t = performance.now();
let child;
if (${JSON.stringify(mode)} === 'execa') {
  const { execa } = await import('execa');
  globalThis.loadMs = performance.now() - t;
  child = execa('sleep', ['1000'], { stdin: 'inherit', buffer: false, reject: false, detached: true, cleanup: false });
  child.catch(() => {});
} else if (${JSON.stringify(mode)} === 'child_process') {
  const { spawn } = await import('node:child_process');
  globalThis.loadMs = performance.now() - t;
  child = spawn('sleep', ['1000'], { stdio: ['inherit', 'pipe', 'pipe'], detached: true });
}
child?.stdout.pipe(process.stderr); child?.stderr.pipe(process.stderr);
setTimeout(async () => {
  gc(); gc();
  const { readFileSync } = await import('node:fs');
  const status = readFileSync('/proc/self/status', 'utf8');
  const kib = (key) => Number(status.match(new RegExp(key + ':\\\\s+(\\\\d+)'))[1]);
  console.log(JSON.stringify({ rssAnonKiB: kib('RssAnon'), rssKiB: kib('VmRSS'), loadMs: globalThis.loadMs ?? 0 }));
  if (child) process.kill(-child.pid, 'SIGKILL');
  process.exit(0);
}, 2000);
`;

const modes = ['nothing', 'child_process', 'execa'];
const samples = new Map<string, Array<{ rssAnonKiB: number; rssKiB: number; loadMs: number }>>(modes.map((m) => [m, []]));
for (let round = 0; round < rounds; round++) {
  for (const mode of modes) {
    const run = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', probe(mode)], { encoding: 'utf8', cwd: new URL('..', import.meta.url).pathname });
    samples.get(mode)!.push(JSON.parse(run.stdout.trim()));
  }
}
const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log('| spawned with | RssAnon MiB (median) | RSS MiB | load ms |');
console.log('|---|---|---|---|');
for (const [mode, rows] of samples) {
  const mib = (key: 'rssAnonKiB' | 'rssKiB') => (median(rows.map((r) => r[key])) / 1024).toFixed(1);
  console.log(`| ${mode} | ${mib('rssAnonKiB')} | ${mib('rssKiB')} | ${median(rows.map((r) => r.loadMs)).toFixed(0)} |`);
}
