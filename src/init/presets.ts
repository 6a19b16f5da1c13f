/**
 * Starter configs of `bot-watchdog init`, one per bot stack. Reverse-WebSocket stacks (the bot
 * listens, NapCat connects to it) watch the link NapCat makes to the bot (`probes.link.listen`)
 * and join NapCat as one more client (`backend.kind: "onebot-reverse"`, `backend.listen`).
 * Ports are the frameworks' defaults (shared docs: protocols.md, "Reverse WebSocket").
 */
import { PRESET_NAMES } from '../config/constants.js';
import type { PresetRuntime } from './detect-runtime.js';

export { PRESET_NAMES };
export type PresetName = (typeof PRESET_NAMES)[number];

/** What init found in the bot's own config, filled into the preset. */
export interface BotFacts {
  /** mirai-api-http or OneBot HTTP base, e.g. "http://127.0.0.1:8080". */
  backendUrl?: string;
  verifyKey?: string;
  qq?: number;
  /** The port the bot listens on for NapCat (reverse WebSocket). */
  listenPort?: number;
  /** The bot's own interpreter and script (src/init/detect-runtime.ts), instead of the preset's. */
  command?: string[];
}

/** Where the watchdog listens for NapCat as its extra WebSocket client (onebot-reverse). */
export const NAPCAT_CLIENT_LISTEN = '127.0.0.1:9466';

interface ReverseStack {
  command: string[];
  port: number;
  python: boolean;
  patterns?: string[];
}

const REVERSE: Record<'langbot' | 'koishi' | 'nonebot2' | 'yunzai' | 'astrbot', ReverseStack> = {
  // LangBot 4: aiocqhttp adapter on 0.0.0.0:2280 /ws; its plugin runtime link loops on this line when it broke.
  langbot: { command: ['python3', 'main.py'], port: 2280, python: true, patterns: ['Failed to connect to plugin runtime'] },
  koishi: { command: ['npx', 'koishi', 'start'], port: 5140, python: false },
  nonebot2: { command: ['python3', 'bot.py'], port: 8080, python: true },
  yunzai: { command: ['node', 'app.js'], port: 2536, python: false },
  astrbot: { command: ['python3', 'main.py'], port: 6199, python: true },
};

/** How each preset's bot is started, for init's look for the bot's own interpreter. */
export const PRESET_RUNTIMES: Record<PresetName, PresetRuntime | undefined> = {
  qchatgpt: { kind: 'python', script: ['main.py'], framework: 'YiriMirai (QChatGPT)' },
  'mirai-js': { kind: 'node', framework: 'mirai-js' },
  onebot: { kind: 'python', script: ['bot.py'], framework: 'your OneBot library' },
  langbot: { kind: 'python', script: ['main.py'], framework: 'LangBot' },
  koishi: { kind: 'node', bin: { name: 'koishi', args: ['start'] }, framework: 'Koishi' },
  nonebot2: { kind: 'python', script: ['bot.py'], framework: 'nonebot2' },
  yunzai: { kind: 'node', framework: 'Yunzai' },
  astrbot: { kind: 'python', script: ['main.py'], framework: 'AstrBot' },
  generic: undefined,
};

/**
 * Timings of the reverse-WebSocket presets, from measurements (docs/recipes.md, "Why these
 * timings"): NapCat relinks a dropped client every 5 s, a real NoneBot2 listens ~1 s after its
 * start, a healthy bot reads its link within milliseconds even under a flood.
 */
export const REVERSE_TIMINGS = { linkGrace: '8s', stall: '20s', startupGrace: '60s', initialDelay: '300ms', hungTimeout: '0s' } as const;

/** The config object for a preset (without `$schema`), with what was found in the bot's config. */
export function presetConfig(name: PresetName, facts: BotFacts = {}): Record<string, unknown> {
  switch (name) {
    case 'qchatgpt':
      return {
        command: facts.command ?? ['python3', 'main.py'],
        env: { PYTHONUNBUFFERED: '1' },
        backend: {
          kind: 'mirai',
          url: facts.backendUrl ?? 'http://127.0.0.1:8080',
          verifyKey: facts.verifyKey ?? '${MIRAI_VERIFY_KEY:-yirimirai}',
          ...(facts.qq === undefined ? {} : { qq: facts.qq }),
        },
        probes: {
          // What YiriMirai prints when its WebSocket to mirai closes, and when it cannot connect.
          output: { patterns: ['WebSocket 通道意外关闭', '无法连接到 mirai'] },
          link: { grace: '30s' },
        },
        // The line is certain and the new bot links at once: a first restart after 0.3 s, not 1 s
        // (bench/yirimirai.ts); repeated ones still back off.
        restart: { initialDelay: '300ms' },
        startup: { grace: '60s' },
      };
    case 'mirai-js':
      return {
        command: facts.command ?? ['node', 'index.js'],
        backend: {
          kind: 'mirai',
          url: facts.backendUrl ?? 'http://127.0.0.1:8080',
          verifyKey: facts.verifyKey ?? '${MIRAI_VERIFY_KEY}',
          ...(facts.qq === undefined ? {} : { qq: facts.qq }),
        },
        probes: { link: { grace: '30s' } },
        startup: { grace: '60s' },
      };
    case 'onebot':
      // A bot that dials a OneBot v11 implementation (forward WebSocket and HTTP API).
      return {
        command: facts.command ?? ['python3', 'bot.py'],
        env: { PYTHONUNBUFFERED: '1' },
        backend: { kind: 'onebot', url: facts.backendUrl ?? 'http://127.0.0.1:5700', wsUrl: 'ws://127.0.0.1:6700' },
        probes: { link: { grace: '30s' } },
        startup: { grace: '60s' },
      };
    case 'generic':
      return { command: ['./start.sh'], restart: { policy: 'always' } };
    default: {
      const stack = REVERSE[name];
      const port = facts.listenPort ?? stack.port;
      return {
        command: facts.command ?? stack.command,
        ...(stack.python ? { env: { PYTHONUNBUFFERED: '1' } } : {}),
        backend: { kind: 'onebot-reverse', listen: NAPCAT_CLIENT_LISTEN },
        probes: {
          link: { listen: port, grace: REVERSE_TIMINGS.linkGrace, stall: REVERSE_TIMINGS.stall },
          ...(stack.patterns ? { output: { patterns: stack.patterns } } : {}),
        },
        // A deaf or hung bot is certain once judged, and NapCat's next redial decides when the new
        // one answers: the first restart after 0.3 s, not 1 s; repeated ones still back off.
        restart: { initialDelay: REVERSE_TIMINGS.initialDelay },
        stop: { hungTimeout: REVERSE_TIMINGS.hungTimeout },
        startup: { grace: REVERSE_TIMINGS.startupGrace },
      };
    }
  }
}

/** A line for a person after init: what to do next for this preset. */
export function nextSteps(name: PresetName): string[] {
  switch (name) {
    case 'qchatgpt':
    case 'mirai-js':
      return ['mirai-api-http needs adapters [http, ws]; set MIRAI_VERIFY_KEY or put the key in the file.'];
    case 'onebot':
      return ['Enable the OneBot HTTP API (5700) and forward WebSocket (6700); add "accessToken" under backend if you set one.'];
    case 'generic':
      return ['Put your bot\'s command line in "command", e.g. ["python3", "main.py"].'];
    default:
      return [
        `In NapCat's network settings add a WebSocket client to ws://${NAPCAT_CLIENT_LISTEN} (the watchdog), beside your bot's.`,
        'If NapCat sends a token, add it as backend.accessToken (e.g. "${ONEBOT_ACCESS_TOKEN}").',
      ];
  }
}
