import { existsSync, writeFileSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CONFIG_FILE } from '../config/read-config-file.js';
import { EXIT } from '../exit-codes.js';
import { presetConfig, nextSteps, type PresetName } from '../init/presets.js';
import { detectPreset, readBotConfig } from '../init/read-bot-config.js';

export interface InitOptions {
  preset?: PresetName;
  force?: boolean;
  /** The bot's folder; default the working directory. */
  cwd?: string;
  out?: (line: string) => void;
  err?: (line: string) => void;
}

/**
 * The schema file of this installation for editors: a relative path when bot-watchdog is installed
 * inside the bot's folder (./node_modules/bot-watchdog/…), else a file: URL.
 */
function schemaRef(dir: string): string {
  const schemaUrl = new URL('../../schema/watchdog.config.schema.json', import.meta.url);
  const path = relative(dir, fileURLToPath(schemaUrl));
  if (path.startsWith('..') || isAbsolute(path)) return schemaUrl.href;
  return `./${path.split(sep).join('/')}`;
}

/**
 * `bot-watchdog init`: writes ./watchdog.config.json for a stack (the one given, else the one the
 * folder looks like, else generic), filled in from the bot's own config where it can be read.
 * Refuses to overwrite without `force` (exit 2). The file is 0600 when it holds a key.
 */
export function initCommand(options: InitOptions = {}): number {
  const out = options.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const err = options.err ?? ((line: string) => process.stderr.write(`${line}\n`));
  const dir = resolve(options.cwd ?? process.cwd());
  const file = resolve(dir, DEFAULT_CONFIG_FILE);
  if (existsSync(file) && !options.force) {
    err(`bot-watchdog init: ${DEFAULT_CONFIG_FILE} already exists here; not overwritten (use --force to replace it)`);
    return EXIT.USAGE;
  }
  const detected = options.preset ? undefined : detectPreset(dir);
  const preset: PresetName = options.preset ?? detected?.preset ?? 'generic';
  const reading = readBotConfig(preset, dir);
  const config = { $schema: schemaRef(dir), ...presetConfig(preset, reading.facts) };
  const holdsSecret = reading.facts.verifyKey !== undefined;
  try {
    writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`, { mode: holdsSecret ? 0o600 : 0o644, flag: options.force ? 'w' : 'wx' });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      err(`bot-watchdog init: ${DEFAULT_CONFIG_FILE} already exists here; not overwritten (use --force to replace it)`);
      return EXIT.USAGE;
    }
    err(`bot-watchdog init: cannot write ${file}: ${code ?? (error as Error).message}`);
    return EXIT.INTERNAL;
  }
  out(`wrote ${DEFAULT_CONFIG_FILE} (preset ${preset}${detected ? `, recognised from ${detected.from}` : options.preset ? '' : ': nothing recognised here'})`);
  for (const note of reading.notes) out(`  ${note}`);
  for (const step of nextSteps(preset)) out(`  ${step}`);
  out('next: bot-watchdog config (what the watchdog will use), bot-watchdog check (is the backend there?), then bot-watchdog run');
  return 0;
}
