import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { BotFacts, PresetName } from './presets.js';
import { PythonLiteralError, readAssignment, type PyValue } from './python-literal.js';

export interface BotConfigReading {
  facts: BotFacts;
  /** One line each, for the person running init (never a secret's value). */
  notes: string[];
}

const MAX_FILE = 1024 * 1024;

function readSmall(path: string): string | undefined {
  try {
    if (!statSync(path).isFile() || statSync(path).size > MAX_FILE) return undefined;
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Guesses the stack from the files in `dir`, or undefined. */
export function detectPreset(dir: string): { preset: PresetName; from: string } | undefined {
  const configPy = readSmall(join(dir, 'config.py'));
  if (configPy !== undefined && /^mirai_http_api_config\s*=/m.test(configPy)) return { preset: 'qchatgpt', from: 'config.py' };
  if (existsSync(join(dir, 'koishi.yml'))) return { preset: 'koishi', from: 'koishi.yml' };
  const pyproject = readSmall(join(dir, 'pyproject.toml')) ?? '';
  if (/\bnonebot2?\b/i.test(pyproject)) return { preset: 'nonebot2', from: 'pyproject.toml' };
  if (/^name\s*=\s*["']langbot["']/im.test(pyproject)) return { preset: 'langbot', from: 'pyproject.toml' };
  if (existsSync(join(dir, 'data', 'cmd_config.json'))) return { preset: 'astrbot', from: 'data/cmd_config.json' };
  const pkg = readSmall(join(dir, 'package.json'));
  if (pkg !== undefined) {
    try {
      const json = JSON.parse(pkg) as { name?: unknown; dependencies?: Record<string, unknown> };
      if (typeof json.name === 'string' && /yunzai/i.test(json.name)) return { preset: 'yunzai', from: 'package.json' };
      if (json.dependencies && 'mirai-js' in json.dependencies) return { preset: 'mirai-js', from: 'package.json' };
      if (json.dependencies && 'koishi' in json.dependencies) return { preset: 'koishi', from: 'package.json' };
    } catch {
      // not JSON: no guess from it
    }
  }
  return undefined;
}

/** What the bot's own config in `dir` tells about the backend, for the stacks whose files are stable. */
export function readBotConfig(preset: PresetName, dir: string): BotConfigReading {
  const readers: Partial<Record<PresetName, (dir: string) => BotConfigReading>> = { qchatgpt: readQChatGpt, nonebot2: readNoneBotEnv, koishi: readKoishiPort };
  return readers[preset]?.(dir) ?? { facts: {}, notes: [] };
}

/** QChatGPT 2.x `config.py`: `mirai_http_api_config = {"host": …, "port": …, "verifyKey": …, "qq": …}`. */
function readQChatGpt(dir: string): BotConfigReading {
  const source = readSmall(join(dir, 'config.py'));
  if (source === undefined) return { facts: {}, notes: ['no config.py here: the preset\'s defaults are used'] };
  let value: PyValue | undefined;
  try {
    value = readAssignment(source, 'mirai_http_api_config');
  } catch (error) {
    if (!(error instanceof PythonLiteralError)) throw error;
    return { facts: {}, notes: [`config.py: mirai_http_api_config is not a plain literal (${error.message}): the preset's defaults are used`] };
  }
  if (value === undefined) return { facts: {}, notes: ['config.py has no mirai_http_api_config: the preset\'s defaults are used'] };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { facts: {}, notes: ['config.py: mirai_http_api_config is not a dict: the preset\'s defaults are used'] };
  }
  const facts: BotFacts = {};
  const read: string[] = [];
  const host = typeof value['host'] === 'string' && value['host'] !== '' ? value['host'] : undefined;
  const port = typeof value['port'] === 'number' && Number.isInteger(value['port']) && value['port'] > 0 && value['port'] < 65536 ? value['port'] : undefined;
  if (host !== undefined || port !== undefined) {
    const shownHost = host === undefined || host === '0.0.0.0' ? '127.0.0.1' : host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
    facts.backendUrl = `http://${shownHost}:${port ?? 8080}`;
    read.push(`backend ${facts.backendUrl}`);
  }
  const qq = value['qq'];
  if (typeof qq === 'number' && Number.isSafeInteger(qq) && qq > 0) {
    facts.qq = qq;
    read.push(`qq ${qq}`);
  } else if (typeof qq === 'string' && /^\d{5,12}$/.test(qq)) {
    facts.qq = Number(qq);
    read.push(`qq ${qq}`);
  }
  if (typeof value['verifyKey'] === 'string') {
    facts.verifyKey = value['verifyKey'];
    read.push('verifyKey (not shown)');
  }
  return { facts, notes: read.length > 0 ? [`from config.py: ${read.join(', ')}`] : ['config.py: mirai_http_api_config names no host, port, qq or verifyKey'] };
}

/** NoneBot2: `.env` and `.env.<ENVIRONMENT>` (dotenv lines): `PORT`. */
function readNoneBotEnv(dir: string): BotConfigReading {
  const base = parseDotenv(readSmall(join(dir, '.env')) ?? '');
  const environment = base['ENVIRONMENT'];
  const specific = environment && /^[\w-]+$/.test(environment) ? parseDotenv(readSmall(join(dir, `.env.${environment}`)) ?? '') : {};
  const port = Number(specific['PORT'] ?? base['PORT']);
  // nb-cli's newer templates have no bot.py: `nb run` makes one on the fly.
  const noScript = existsSync(join(dir, 'bot.py')) ? [] : ['no bot.py here: write one with `nb generate`, or put ["nb", "run"] in "command"'];
  if (Number.isInteger(port) && port > 0 && port < 65536) {
    return { facts: { listenPort: port }, notes: [`from .env${specific['PORT'] ? `.${environment}` : ''}: the bot listens on port ${port}`, ...noScript] };
  }
  return { facts: {}, notes: noScript };
}

/** Koishi: the top-level `port:` of koishi.yml. */
function readKoishiPort(dir: string): BotConfigReading {
  const text = readSmall(join(dir, 'koishi.yml'));
  const port = Number(/^port:\s*(\d{1,5})\s*(?:#.*)?$/m.exec(text ?? '')?.[1]);
  if (Number.isInteger(port) && port > 0 && port < 65536) return { facts: { listenPort: port }, notes: [`from koishi.yml: the bot listens on port ${port}`] };
  return { facts: {}, notes: [] };
}

function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match) continue;
    let value = match[2] as string;
    if (/^(['"]).*\1$/.test(value)) value = value.slice(1, -1);
    else value = value.replace(/\s+#.*$/, '');
    out[match[1] as string] = value;
  }
  return out;
}
