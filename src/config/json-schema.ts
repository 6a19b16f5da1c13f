import { toJsonSchema } from '@valibot/to-json-schema';
import { configSchema } from './schema.js';

/**
 * The JSON Schema of watchdog.config.json, for editors; generated from the one valibot schema
 * (by scripts/gen-schema.ts, into schema/). Build-time only: @valibot/to-json-schema is a dev dependency.
 */
export function configJsonSchema(): Record<string, unknown> {
  const schema = toJsonSchema(configSchema, { target: 'draft-2020-12', typeMode: 'input', errorMode: 'ignore' }) as Record<string, unknown>;
  return {
    ...schema,
    $id: 'https://github.com/bot-watchdog/bot-watchdog/schema/watchdog.config.schema.json',
    title: 'bot-watchdog config (watchdog.config.json)',
  };
}
