// Writes schema/watchdog.config.schema.json from src/config/schema.ts.
// Run: node --import tsx scripts/gen-schema.ts   (a test fails when the file is out of date)
import { writeFileSync } from 'node:fs';
import { configJsonSchema } from '../src/config/json-schema.js';

const target = new URL('../schema/watchdog.config.schema.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target.pathname}`);
