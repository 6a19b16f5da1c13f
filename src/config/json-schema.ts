import { z } from 'zod';
import { configSchema } from './schema.js';

/** The JSON Schema of watchdog.config.json, for editors; generated from the one zod schema. */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    ...schema,
    $id: 'https://github.com/bot-watchdog/bot-watchdog/schema/watchdog.config.schema.json',
    title: 'bot-watchdog config (watchdog.config.json)',
  };
}
