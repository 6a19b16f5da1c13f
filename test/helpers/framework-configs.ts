// Watchdog configs for the real-framework fixture bots, built from the presets `init` writes
// (src/init/presets.ts): only the bot's command (its venv and the fixture), ports and the env the
// fixture reads differ. Used by test/frameworks/ and bench/napcat-*.ts, bench/yirimirai.ts.
import { presetConfig } from '../../src/init/presets.js';
import { fixture } from './watchdog-process.js';

export { freePort } from './free-port.js';

type Config = Record<string, any>;

/** `init --preset nonebot2` for the NoneBot2 fixture bot listening on `bot`, the watchdog on `watchdog`. */
export function noneBotPreset(python: string, ports: { bot: number; watchdog: number }): Config {
  const config = presetConfig('nonebot2', { listenPort: ports.bot, command: [python, fixture('bots/nonebot2_bot.py')] }) as Config;
  config['env'] = { ...config['env'], HOST: '127.0.0.1', PORT: String(ports.bot), DRIVER: '~fastapi' };
  config['backend'] = { ...config['backend'], listen: `127.0.0.1:${ports.watchdog}` };
  // The preset's restart.initialDelay (300 ms) kept, under the e2e helper's short maxDelay cap raised to match.
  config['restart'] = { ...config['restart'], maxDelay: '1s' };
  return config;
}

export const MIRAI_KEY = 'yirimirai-key';
export const MIRAI_QQ = 123456789;

/** `init --preset qchatgpt` (a config.py naming mirai on `miraiPort`) for the YiriMirai fixture bot. */
export function yiriMiraiPreset(python: string, miraiPort: number): Config {
  const url = `http://127.0.0.1:${miraiPort}`;
  const config = presetConfig('qchatgpt', { backendUrl: url, verifyKey: MIRAI_KEY, qq: MIRAI_QQ, command: [python, fixture('bots/yirimirai_bot.py')] }) as Config;
  config['env'] = { ...config['env'], MIRAI_URL: url, MIRAI_VERIFY_KEY: MIRAI_KEY, MIRAI_QQ: String(MIRAI_QQ) };
  return config;
}
