// Finds (and when missing installs) the third-party tools a benchmark compares against.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The absolute path of `program` on PATH, or undefined. */
export function which(program: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' });
  const path = found.stdout.trim();
  return found.status === 0 && path.startsWith('/') ? path : undefined;
}

let aptUpdated = false;

/**
 * `program` from PATH, else installs Debian `pkg` with apt-get (as root, or through sudo -n).
 * Returns the path, or undefined with the reason printed when it cannot be had.
 */
export function ensureDebian(program: string, pkg: string): string | undefined {
  const present = which(program);
  if (present) return present;
  const sudo = process.getuid?.() === 0 ? [] : ['sudo', '-n'];
  const apt = (args: string[]) =>
    spawnSync(sudo[0] ?? 'apt-get', [...sudo.slice(1), ...(sudo.length ? ['apt-get'] : []), ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  console.error(`installing ${pkg} (apt-get) for ${program}…`);
  if (!aptUpdated) {
    apt(['update', '-qq']);
    aptUpdated = true;
  }
  const install = apt(['install', '-y', '-qq', '--no-install-recommends', pkg]);
  const path = which(program);
  if (!path) console.error(`could not install ${pkg}: ${install.stderr.trim().split('\n').pop() ?? `exit ${install.status}`}`);
  return path;
}

/** PM2's CLI: `pm2` on PATH, else installed once with npm into a folder of the system's temp dir. */
export function ensurePm2(): string | undefined {
  const present = which('pm2');
  if (present) return present;
  const prefix = join(tmpdir(), 'bot-watchdog-bench-tools');
  const bin = join(prefix, 'node_modules', '.bin', 'pm2');
  if (existsSync(bin)) return bin;
  console.error(`installing pm2 (npm) into ${prefix}…`);
  const install = spawnSync('npm', ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--loglevel=error', 'pm2@latest'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  if (!existsSync(bin)) {
    console.error(`could not install pm2: ${install.stderr.trim().split('\n').pop() ?? `exit ${install.status}`}`);
    return undefined;
  }
  return bin;
}
