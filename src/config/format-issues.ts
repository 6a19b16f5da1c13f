import type * as v from 'valibot';
import { scrubCredentials } from '../log/redact.js';
import { didYouMean } from './did-you-mean.js';

/** One thing wrong with the config: where, what was expected, and what was written (if anything). */
export interface ConfigProblem {
  path: readonly (string | number)[];
  /** What was expected; "unknown key" and "required" are worded here. */
  message: string;
  /** The value written there; undefined when none (a missing key). */
  input?: unknown;
  unknownKey?: boolean;
}

/** valibot's issues as problems: a missing key is "required", an extra key of a strict object "unknown key". */
export function problemsOf(issues: readonly v.BaseIssue<unknown>[]): ConfigProblem[] {
  return issues.map((issue) => {
    const path = (issue.path ?? []).map((item) => item.key as string | number);
    if (issue.type === 'strict_object' && issue.expected === 'never') return { path, message: 'unknown key', unknownKey: true };
    if (issue.input === undefined && issue.kind === 'schema') return { path, message: 'required' };
    return { path, message: issue.message, input: issue.input };
  });
}

/** Renders problems as one line each: `<source>: <field>: <expectation>, got <value>`. */
export function formatProblems(source: string, problems: readonly ConfigProblem[], knownKeys: (path: readonly (string | number)[]) => string[]): string[] {
  const lines: string[] = [];
  const reported = new Set<string>();
  for (const problem of problems) {
    // One line per field: a check that runs after a type error adds nothing.
    const field = fieldName(problem.path);
    if (reported.has(field)) continue;
    reported.add(field);
    if (problem.unknownKey) {
      const key = String(problem.path[problem.path.length - 1]);
      const suggestion = didYouMean(key, knownKeys(problem.path.slice(0, -1)));
      lines.push(`${source}: ${field}: unknown key${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`);
      continue;
    }
    lines.push(`${source}: ${field}: ${problem.message}${got(problem)}`);
  }
  return lines;
}

export function fieldName(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path.reduce<string>((name, part) => (typeof part === 'number' ? `${name}[${part}]` : name ? `${name}.${String(part)}` : String(part)), '');
}

/** Fields whose values are secrets: an error names them but never echoes what was written. */
const SECRET_FIELD = /(verify_?key|access_?token|token|password|secret)$/i;

function got(problem: ConfigProblem): string {
  if (problem.input === undefined) return '';
  const last = problem.path[problem.path.length - 1];
  if (typeof last === 'string' && SECRET_FIELD.test(last)) return ' (value not shown: it is a secret)';
  return `, got ${preview(problem.input)}`;
}

function preview(value: unknown): string {
  // A URL with `user:pass@` or `?access_token=` is named, not echoed with its credentials.
  // JSON.stringify writes Infinity (a JSON number such as 1e400) as null.
  const text = scrubCredentials(typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value)));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
