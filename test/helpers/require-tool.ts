// The one rule for tests that need a system tool (issue 17.14): present → the test runs; absent →
// the test is skipped with a message naming the Debian package that brings it; absent under
// CI=true → a failure (CI installs every tool: .ci/run), so a test never passes there unrun.
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

const found = new Map<string, boolean>();

/** Whether `tool` (a name looked up on PATH, or an absolute path) is an executable file. */
export function hasTool(tool: string, path = process.env['PATH'] ?? ''): boolean {
  const key = `${tool}\0${path}`;
  let known = found.get(key);
  if (known === undefined) {
    const candidates = isAbsolute(tool) ? [tool] : path.split(delimiter).filter((dir) => dir !== '').map((dir) => join(dir, tool));
    known = candidates.some((file) => {
      try {
        accessSync(file, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
    found.set(key, known);
  }
  return known;
}

export class MissingToolError extends Error {
  override name = 'MissingToolError';
}

/**
 * The `skip` option of a test that needs `tool`: false when it is there; when it is not, the
 * reason (with the Debian package to install) — or, under CI=true, a MissingToolError thrown,
 * which fails the test file. `test('…', { skip: requireTool('promtool', 'prometheus') }, …)`.
 */
export function requireTool(tool: string, debianPackage: string, env: NodeJS.ProcessEnv = process.env): string | false {
  if (hasTool(tool, env['PATH'] ?? '')) return false;
  const how = `needs ${tool}, which is not installed: apt-get install ${debianPackage} (Debian package "${debianPackage}")`;
  if (env['CI'] === 'true') throw new MissingToolError(`${how}; CI=true, where a missing tool is a failure, not a skip`);
  return how;
}

/** The same for several tools: the first one missing decides. */
export function requireTools(tools: readonly (readonly [tool: string, debianPackage: string])[], env: NodeJS.ProcessEnv = process.env): string | false {
  for (const [tool, debianPackage] of tools) {
    const skip = requireTool(tool, debianPackage, env);
    if (skip) return skip;
  }
  return false;
}

/** Python 3 runs the Python fixture bots (test/fixtures/bots/*.py). */
export const PYTHON: readonly [string, string] = ['python3', 'python3'];

/** The skip for a fixture bot by its file name: the .py ones need python3. */
export function requireBotRuntime(botFile: string): string | false {
  return botFile.endsWith('.py') ? requireTool(...PYTHON) : false;
}
