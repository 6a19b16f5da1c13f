import type { ConfigProblem } from './format-issues.js';

/** No config field nests deeper than a few levels; anything deeper is the wrong file (or meant to exhaust the stack). */
export const MAX_CONFIG_DEPTH = 32;

/** Keys that name JavaScript's object machinery: never a config field, and never let near an object. */
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * What makes a parsed JSON value unfit to be read as a config at all, before anything else walks
 * it: nesting deeper than MAX_CONFIG_DEPTH, or a key such as `"__proto__"` (JSON.parse keeps it as
 * an ordinary key; copied onto an object it would set that object's prototype). Iterative: any
 * depth is looked at without recursion.
 */
export function rawShapeProblem(value: unknown): ConfigProblem | undefined {
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value, path: [] }];
  while (stack.length > 0) {
    const { value: node, path } = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (path.length >= MAX_CONFIG_DEPTH) {
      return { path: path.slice(0, 1), message: `nested deeper than ${MAX_CONFIG_DEPTH} levels (no config field is): is it the right file?` };
    }
    if (Array.isArray(node)) {
      node.forEach((item, index) => stack.push({ value: item, path: [...path, index] }));
      continue;
    }
    for (const key of Object.keys(node)) {
      if (FORBIDDEN_KEYS.has(key)) return { path: [...path, key], message: `"${key}" is not allowed as a key` };
      stack.push({ value: (node as Record<string, unknown>)[key], path: [...path, key] });
    }
  }
  return undefined;
}
