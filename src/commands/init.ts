import { randomBytes } from 'node:crypto';
import { linkSync, lstatSync, readlinkSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { escapeEnvReferences } from '../config/env-expand.js';
import { DEFAULT_CONFIG_FILE } from '../config/read-config-file.js';
import { EXIT } from '../exit-codes.js';
import { detectRuntime, type RuntimeProbe } from '../init/detect-runtime.js';
import { PRESET_RUNTIMES, presetConfig, nextSteps, type BotFacts, type PresetName } from '../init/presets.js';
import { detectPreset, readBotConfig, type BotConfigReading } from '../init/read-bot-config.js';

export interface InitOptions {
  preset?: PresetName;
  force?: boolean;
  /** The bot's folder; default the working directory. */
  cwd?: string;
  out?: (line: string) => void;
  err?: (line: string) => void;
  /** How init looks for uv/poetry/pdm on PATH (tests). */
  runtimeProbe?: RuntimeProbe;
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

/** What is at `path` itself (a link is not followed), or undefined when nothing is. */
function entryAt(path: string): { link: boolean; target?: string } | undefined {
  try {
    const stat = lstatSync(path);
    if (!stat.isSymbolicLink()) return { link: false };
    let target: string | undefined;
    try {
      target = readlinkSync(path);
    } catch {
      target = undefined;
    }
    return { link: true, ...(target === undefined ? {} : { target }) };
  } catch {
    return undefined;
  }
}

/**
 * Writes `text` as `file` atomically and without following a link there: a new temp file in the
 * same folder, then a hard link to the name (which fails if anything is there: no overwrite) or,
 * with `replace`, a rename over it (which replaces a symbolic link itself, never its target).
 */
function writeAtomically(file: string, text: string, mode: number, replace: boolean): void {
  const temp = join(dirname(file), `.${DEFAULT_CONFIG_FILE}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  writeFileSync(temp, text, { mode, flag: 'wx' });
  try {
    if (replace) renameSync(temp, file);
    else {
      try {
        linkSync(temp, file);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw error;
        // A filesystem without hard links: O_CREAT|O_EXCL, which never follows a link either.
        writeFileSync(file, text, { mode, flag: 'wx' });
      }
    }
  } finally {
    try {
      unlinkSync(temp);
    } catch {
      // renamed away
    }
  }
}

/** Strings from the bot's own files are literal: a `${` in them must not be expanded when the config loads. */
function literalFacts(facts: BotFacts): BotFacts {
  return {
    ...facts,
    ...(facts.backendUrl === undefined ? {} : { backendUrl: escapeEnvReferences(facts.backendUrl) }),
    ...(facts.verifyKey === undefined ? {} : { verifyKey: escapeEnvReferences(facts.verifyKey) }),
  };
}

function readSafely(preset: PresetName, dir: string): BotConfigReading {
  try {
    return readBotConfig(preset, dir);
  } catch (error) {
    // The bot's own files are never a reason for init to fail: the preset's defaults are used.
    const what = error instanceof RangeError ? 'nested too deeply to read' : (error as Error).message;
    return { facts: {}, notes: [`could not read the bot's config (${what}): the preset's defaults are used`] };
  }
}

/**
 * `bot-watchdog init`: writes ./watchdog.config.json for a stack (the one given, else the one the
 * folder looks like, else generic), filled in from the bot's own config where it can be read, with
 * the bot's own interpreter (its virtual environment, project manager or node_modules).
 * Refuses to overwrite without `force` (exit 2). The file is 0600 when it holds a key. A symbolic
 * link at the config's name is never written through: `--force` replaces the link itself.
 */
export function initCommand(options: InitOptions = {}): number {
  const out = options.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const err = options.err ?? ((line: string) => process.stderr.write(`${line}\n`));
  const dir = resolve(options.cwd ?? process.cwd());
  const file = resolve(dir, DEFAULT_CONFIG_FILE);
  const exists = `bot-watchdog init: ${DEFAULT_CONFIG_FILE} already exists here; not overwritten (use --force to replace it)`;
  const present = entryAt(file);
  if (present && !options.force) {
    err(exists);
    return EXIT.USAGE;
  }
  const detected = options.preset ? undefined : detectPreset(dir);
  const preset: PresetName = options.preset ?? detected?.preset ?? 'generic';
  const reading = readSafely(preset, dir);
  const runtime = detectRuntime(PRESET_RUNTIMES[preset], dir, options.runtimeProbe);
  const facts: BotFacts = { ...literalFacts(reading.facts), ...(runtime.command ? { command: runtime.command } : {}) };
  const body = presetConfig(preset, facts);
  const config = { $schema: schemaRef(dir), ...body };
  const holdsSecret = reading.facts.verifyKey !== undefined;
  try {
    writeAtomically(file, `${JSON.stringify(config, null, 2)}\n`, holdsSecret ? 0o600 : 0o644, options.force === true);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      err(exists);
      return EXIT.USAGE;
    }
    err(`bot-watchdog init: cannot write ${file}: ${code ?? (error as Error).message}`);
    return EXIT.INTERNAL;
  }
  out(`wrote ${DEFAULT_CONFIG_FILE} (preset ${preset}${detected ? `, recognised from ${detected.from}` : options.preset ? '' : ': nothing recognised here'})`);
  if (present?.link) {
    out(`  ${DEFAULT_CONFIG_FILE} was a symbolic link${present.target === undefined ? '' : ` to ${present.target}`}: the link was replaced by this file; its target is untouched`);
  }
  for (const note of reading.notes) out(`  ${note}`);
  for (const note of runtime.notes) out(`  ${note}`);
  out(`  command: ${JSON.stringify(body['command'])}`);
  for (const step of nextSteps(preset)) out(`  ${step}`);
  out('next: bot-watchdog config (what the watchdog will use), bot-watchdog check (is the backend there?), then bot-watchdog run');
  return 0;
}
