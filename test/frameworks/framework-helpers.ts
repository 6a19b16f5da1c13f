// Set-up shared by the real-framework tests (issue 16.7): configs for the real CLI around the
// NoneBot2 and YiriMirai fixture bots, free ports known before the bot starts (as in a config).
import net from 'node:net';
import { fixture } from '../helpers/watchdog-process.js';

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The watchdog config of the NoneBot2 fixture bot behind NapCat, the shape `init --preset nonebot2` writes. */
export function noneBotConfig(python: string, ports: { bot: number; watchdog: number }, overrides: { link?: Record<string, unknown>; startup?: Record<string, unknown>; stop?: Record<string, unknown> } = {}): Record<string, unknown> {
  return {
    command: [python, fixture('bots/nonebot2_bot.py')],
    env: { PYTHONUNBUFFERED: '1', HOST: '127.0.0.1', PORT: String(ports.bot), DRIVER: '~fastapi' },
    backend: { kind: 'onebot-reverse', listen: `127.0.0.1:${ports.watchdog}` },
    probes: { link: { listen: ports.bot, ...overrides.link } },
    ...(overrides.startup ? { startup: overrides.startup } : {}),
    ...(overrides.stop ? { stop: overrides.stop } : {}),
  };
}

export const MIRAI_KEY = 'yirimirai-key';
export const MIRAI_QQ = 123456789;

/** The watchdog config of the YiriMirai fixture bot (QChatGPT 2.6's shape), as `init --preset qchatgpt` writes it. */
export function yiriMiraiConfig(python: string, miraiPort: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const url = `http://127.0.0.1:${miraiPort}`;
  return {
    command: [python, fixture('bots/yirimirai_bot.py')],
    env: { PYTHONUNBUFFERED: '1', MIRAI_URL: url, MIRAI_VERIFY_KEY: MIRAI_KEY, MIRAI_QQ: String(MIRAI_QQ) },
    backend: { kind: 'mirai', url, verifyKey: MIRAI_KEY, qq: MIRAI_QQ },
    probes: { output: { patterns: ['WebSocket 通道意外关闭', '无法连接到 mirai'] }, link: { grace: '30s' } },
    startup: { grace: '60s' },
    ...overrides,
  };
}

/** A friend's "ping" as mirai-api-http pushes it. */
export const FRIEND_PING = {
  type: 'FriendMessage',
  sender: { id: 42, nickname: 'friend', remark: '' },
  messageChain: [
    { type: 'Source', id: 1, time: 1 },
    { type: 'Plain', text: 'ping' },
  ],
};
