// The real Python frameworks (NoneBot2, YiriMirai) live in two virtual environments in the repo
// root, made by scripts/make-venvs.sh from ../shared/wheels. Tests and benches that need one skip
// with the command that makes it when it is absent — and fail under CI=true, where .ci/run made it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './watchdog-process.js';

export type FrameworkVenv = '.venv-nonebot' | '.venv-yirimirai';

export const MAKE_VENVS = 'scripts/make-venvs.sh';

export function venvPython(venv: FrameworkVenv): string {
  return join(REPO_ROOT, venv, 'bin', 'python');
}

/** A `skip` option for node:test: the reason when the venv is absent (never under CI=true). */
export function skipWithoutVenv(venv: FrameworkVenv): string | false {
  if (existsSync(venvPython(venv)) || process.env['CI'] === 'true') return false;
  return `${venv} is absent: make it with ${MAKE_VENVS} (about 20 s, from ../shared/wheels)`;
}

/** The venv's python, or an error naming the command that makes it (under CI=true: the test fails). */
export function requireVenv(venv: FrameworkVenv): string {
  const python = venvPython(venv);
  if (!existsSync(python)) throw new Error(`${venv} is absent (CI=true: .ci/run makes it): run ${MAKE_VENVS}`);
  return python;
}
