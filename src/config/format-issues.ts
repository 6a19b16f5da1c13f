import type { z } from 'zod';
import { scrubCredentials } from '../log/redact.js';
import { didYouMean } from './did-you-mean.js';

/** Renders zod issues as one line each: `<source>: <field>: <expectation>, got <value>`. */
export function formatIssues(source: string, issues: readonly z.core.$ZodIssue[], knownKeys: (path: PropertyKey[]) => string[]): string[] {
  const lines: string[] = [];
  const reported = new Set<string>();
  for (const issue of issues) {
    // One line per field: a refinement that runs after a type error adds nothing.
    const key = fieldName(issue.path);
    if (issue.code !== 'unrecognized_keys' && reported.has(key)) continue;
    reported.add(key);
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeys(issue.path);
      for (const key of issue.keys) {
        const suggestion = didYouMean(key, known);
        lines.push(`${source}: ${fieldName([...issue.path, key])}: unknown key${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`);
      }
      continue;
    }
    lines.push(`${source}: ${fieldName(issue.path)}: ${expectation(issue)}${got(issue)}`);
  }
  return lines;
}

export function fieldName(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path.reduce<string>((name, part) => (typeof part === 'number' ? `${name}[${part}]` : name ? `${name}.${String(part)}` : String(part)), '');
}

function expectation(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_value') return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  if (issue.code === 'invalid_type') {
    if (issue.input === undefined) return 'required';
    // Our own messages start with "expected"; zod's generic ones are reworded.
    return issue.message.startsWith('expected') ? issue.message : `expected ${article(issue.expected)}`;
  }
  return issue.message;
}

/** Fields whose values are secrets: an error names them but never echoes what was written. */
const SECRET_FIELD = /(verify_?key|access_?token|token|password|secret)$/i;

function got(issue: z.core.$ZodIssue): string {
  if (!('input' in issue) || issue.input === undefined || issue.code === 'unrecognized_keys') return '';
  const last = issue.path[issue.path.length - 1];
  if (typeof last === 'string' && SECRET_FIELD.test(last)) return ' (value not shown: it is a secret)';
  if (issue.code === 'invalid_type' && issue.input === undefined) return '';
  return `, got ${preview(issue.input)}`;
}

function preview(value: unknown): string {
  // A URL with `user:pass@` or `?access_token=` is named, not echoed with its credentials.
  const text = scrubCredentials(JSON.stringify(value) ?? String(value));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function article(type: string): string {
  if (type === 'array') return 'a list';
  if (type === 'object') return 'an object';
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}
