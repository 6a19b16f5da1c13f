import type { ConfigProblem } from './format-issues.js';
import { configSchema } from './schema.js';

/** What is read here of a valibot schema: an object's entries, a record's or an array's item schema, an optional's wrapped one. */
interface SchemaNode {
  type?: string;
  message?: unknown;
  entries?: Record<string, SchemaNode>;
  item?: SchemaNode;
  value?: SchemaNode;
  wrapped?: SchemaNode;
}

const root = configSchema as SchemaNode;

function unwrap(schema: SchemaNode | undefined): SchemaNode | undefined {
  let current = schema;
  while (current?.wrapped) current = current.wrapped;
  return current;
}

/** The keys the strict object of the schema at `path` accepts, for "did you mean". */
export function knownKeysAt(path: readonly (string | number)[]): string[] {
  let schema: SchemaNode | undefined = root;
  for (const part of path) {
    schema = unwrap(schema);
    schema = typeof part === 'number' ? schema?.item : schema?.entries?.[part];
  }
  return Object.keys(unwrap(schema)?.entries ?? {});
}

/**
 * A list where the schema wants an object (`"restart": []`), which valibot takes for an empty
 * object: a list is an object to JavaScript. Walks the value along the schema (no deeper than it).
 */
export function listWhereObject(value: unknown, schema: SchemaNode | undefined = root, path: (string | number)[] = []): ConfigProblem | undefined {
  const node = unwrap(schema);
  if (!node || value === null || typeof value !== 'object') return undefined;
  const isObjectSchema = node.entries !== undefined || node.type === 'record';
  if (Array.isArray(value)) {
    if (isObjectSchema) return { path, message: typeof node.message === 'string' ? node.message : 'expected an object', input: value };
    for (const [index, item] of value.entries()) {
      const found = node.item && listWhereObject(item, node.item, [...path, index]);
      if (found) return found;
    }
    return undefined;
  }
  for (const [key, item] of Object.entries(value)) {
    const child = node.entries ? (Object.hasOwn(node.entries, key) ? node.entries[key] : undefined) : node.value;
    const found = child && listWhereObject(item, child, [...path, key]);
    if (found) return found;
  }
  return undefined;
}
