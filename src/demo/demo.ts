import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCommand } from '../commands/run.js';
import type { LOG_FORMATS, LOG_LEVELS } from '../config/constants.js';
import { resolveConfig } from '../config/load-config.js';
import { createEventLog } from '../log/logger.js';
import { buildPlugins } from '../plugins.js';
import { packageVersion } from '../version.js';
import { DemoMirai } from './demo-mirai.js';
import { DemoNarrator, summary } from './demo-narrator.js';

export interface DemoOptions {
  /** Time from the bot's link coming up to the demo breaking it. */
  everyMs: number;
  logFormat?: (typeof LOG_FORMATS)[number];
  logLevel?: (typeof LOG_LEVELS)[number];
  /** Where the demo's own lines go (default stdout). */
  say?: (line: string) => void;
}

const DEMO_QQ = 123456789;

/** The demo bot's argv: the built bot, or (from the sources, under tsx) the TypeScript one. */
function botCommand(): [string, ...string[]] {
  const self = fileURLToPath(import.meta.url);
  const ext = extname(self);
  const bot = fileURLToPath(new URL(`./demo-bot${ext}`, import.meta.url));
  return ext === '.ts' ? [process.execPath, '--import', 'tsx', bot] : [process.execPath, bot];
}

/**
 * `bot-watchdog demo`: a fake mirai-api-http, a bot that goes deaf when its link drops, and the
 * watchdog supervising it in this process through the same path as `run`, with a preset config
 * (output patterns, the bot's link, fast restarts). Breaks the bot's link every `everyMs` and
 * says what was detected and when the bot was back. Ends on SIGINT/SIGTERM (exit 130 or 143, or 0),
 * leaving nothing behind.
 */
export async function demoCommand(options: DemoOptions): Promise<number> {
  const say = options.say ?? ((line: string) => process.stdout.write(`${line}\n`));
  const verifyKey = randomBytes(12).toString('hex');
  const mirai = await DemoMirai.start({ verifyKey, qq: DEMO_QQ });
  const dir = mkdtempSync(join(tmpdir(), 'bot-watchdog-demo-'));
  let interrupted: NodeJS.Signals | undefined;
  const narrator = new DemoNarrator({ mirai, everyMs: options.everyMs, say });
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted ??= signal;
    // Before the supervisor runs (and stops the bot on a signal itself) nothing was spawned yet:
    // end here, as Node would without this handler.
    if (!narrator.started) {
      rmSync(dir, { recursive: true, force: true });
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const config = resolveConfig(
      {
        command: botCommand(),
        env: { DEMO_MIRAI_WS: `ws://127.0.0.1:${mirai.port}`, DEMO_MIRAI_KEY: verifyKey, DEMO_MIRAI_QQ: String(DEMO_QQ) },
        backend: { kind: 'mirai', url: mirai.url, verifyKey, qq: DEMO_QQ },
        probes: {
          backend: { interval: '2s', timeout: '1s' },
          websocket: { pingInterval: '5s', pongTimeout: '2s' },
          output: { patterns: ['WebSocket 通道意外关闭', '无法连接到 mirai'] },
          link: { grace: '2s', interval: '250ms' },
        },
        startup: { grace: '2s' },
        restart: { initialDelay: '100ms', maxDelay: '1s', resetAfter: '1s', limit: { count: 0 } },
        stop: { timeout: '2s' },
        state: { file: join(dir, 'state.json') },
      },
      { cwd: dir, env: {} },
    );
    const logger = createEventLog({
      level: options.logLevel ?? 'info',
      format: options.logFormat ?? 'auto',
      secrets: [verifyKey],
    });
    say(`bot-watchdog demo: a fake mirai-api-http on ${mirai.url} and a bot that goes deaf when its link drops (as QChatGPT 2.x does).`);
    say(`Every ${options.everyMs / 1000}s the demo breaks the bot's link; watch the watchdog catch it and bring the bot back. Ctrl-C ends the demo.`);
    const code = await runCommand(config, logger, async (cfg, log, clock, health) => {
      const plugins = await buildPlugins(cfg, log, clock, health);
      return { ...plugins, plugins: [...plugins.plugins, narrator] };
    }, packageVersion());
    say(summary(narrator.breaks));
    if (interrupted && code !== 0 && code !== 130 && code !== 143) return interrupted === 'SIGINT' ? 130 : 143;
    return code;
  } finally {
    narrator.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await mirai.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
