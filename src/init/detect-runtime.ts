/**
 * Which interpreter runs the bot: init writes the bot's own (its virtual environment, its project
 * manager, its local node_modules) instead of the system's `python3`/`npx`, which usually cannot
 * import the framework. Looks at files only; nothing of the bot's is run.
 */
import { existsSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface RuntimeReading {
  /** The command to write, or undefined to keep the preset's. */
  command?: string[];
  /** One line each for the person running init: what was found, what to check. */
  notes: string[];
}

export interface RuntimeProbe {
  /** Is `name` an executable on PATH? (injected for tests) */
  onPath?: (name: string) => boolean;
}

/** Python project managers, by their lock file, most specific first. */
const MANAGERS: { lock: string; tool: string; prefix: string[] }[] = [
  { lock: 'uv.lock', tool: 'uv', prefix: ['uv', 'run'] },
  { lock: 'poetry.lock', tool: 'poetry', prefix: ['poetry', 'run'] },
  { lock: 'pdm.lock', tool: 'pdm', prefix: ['pdm', 'run'] },
];

/** In-project virtual environments, as `python -m venv`, uv, Poetry (in-project) and PDM make them. */
const VENVS = ['.venv', 'venv'];

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export function onSystemPath(name: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const exts = process.platform === 'win32' ? (env['PATHEXT'] ?? '.EXE;.CMD;.BAT').split(';') : [''];
  return (env['PATH'] ?? '').split(delimiter).some((dir) => dir !== '' && exts.some((ext) => isFile(join(dir, name + ext))));
}

/** The interpreter of a virtual environment in `dir`, as a path relative to it, or undefined. */
function venvPython(dir: string): string | undefined {
  for (const venv of VENVS) {
    for (const python of ['bin/python', 'Scripts/python.exe']) {
      if (isFile(join(dir, venv, python))) return `${venv}/${python}`;
    }
  }
  return undefined;
}

/**
 * A Python bot started as `python <script…>`: its virtual environment's python when there is one
 * (direct: no wrapper process between the watchdog and the bot, no dependency sync at each start),
 * else its project manager's `run` (uv, Poetry, PDM), else the system python3 with a warning.
 */
export function detectPythonRuntime(dir: string, script: string[], framework: string, probe: RuntimeProbe = {}): RuntimeReading {
  const onPath = probe.onPath ?? ((name: string) => onSystemPath(name));
  const lock = MANAGERS.find((m) => existsSync(join(dir, m.lock)));
  const python = venvPython(dir);
  if (python !== undefined) {
    const managed = lock ? ` (${lock.lock} too: the environment is run directly, not through \`${lock.prefix.join(' ')}\`, which would sync it at each start)` : '';
    return {
      command: [python, ...script],
      notes: [`found the virtual environment ${python.split('/')[0]}: the bot runs with ${python}${managed}; check it has ${framework} installed`],
    };
  }
  if (lock !== undefined) {
    const notes = [`found ${lock.lock}: the bot runs with \`${lock.prefix.join(' ')} python\` (${lock.tool} picks the project's environment)`];
    if (!onPath(lock.tool)) notes.push(`${lock.tool} is not on PATH here: install it, or put the environment's python in "command"`);
    return { command: [...lock.prefix, 'python', ...script], notes };
  }
  return {
    notes: [
      `no virtual environment found (.venv, venv, uv.lock, poetry.lock, pdm.lock): the bot runs with the system python3; check it can import ${framework}, or put your environment's python in "command"`,
    ],
  };
}

/**
 * A Node bot: the project's own `node_modules/.bin/<bin>` when installed (no npx download or
 * prompt at a restart), else a note that the dependencies are not installed.
 */
export function detectNodeRuntime(dir: string, bin: { name: string; args: string[] } | undefined, framework: string): RuntimeReading {
  if (bin !== undefined) {
    const local = `node_modules/.bin/${bin.name}`;
    if (existsSync(join(dir, local))) return { command: [local, ...bin.args], notes: [`found ${local}: the bot runs with the project's own ${framework}`] };
  }
  if (existsSync(join(dir, 'node_modules'))) return { notes: [`found node_modules: the bot runs with the project's ${framework} under the system node; check \`node --version\` is one ${framework} supports`] };
  return { notes: [`no node_modules here: run your package manager's install (npm/pnpm/yarn) before starting, or ${framework} cannot load`] };
}

/** What runs a preset's bot: Python with a script, or Node with a local bin (or the preset's command). */
export type PresetRuntime =
  | { kind: 'python'; script: string[]; framework: string }
  | { kind: 'node'; bin?: { name: string; args: string[] }; framework: string };

export function detectRuntime(runtime: PresetRuntime | undefined, dir: string, probe: RuntimeProbe = {}): RuntimeReading {
  if (runtime === undefined) return { notes: [] };
  return runtime.kind === 'python' ? detectPythonRuntime(dir, runtime.script, runtime.framework, probe) : detectNodeRuntime(dir, runtime.bin, runtime.framework);
}
