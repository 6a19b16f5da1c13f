// Shared by the differential-verdict e2e tests: the real CLI, a listening fixture bot, and NapCat
// as two WebSocket clients (one to the bot, one to the watchdog).
import type { TestContext } from 'node:test';
import { botCommand } from '../helpers/listening-bot.js';
import { FakeNapCat } from '../helpers/fake-napcat.js';
import { freePort } from '../helpers/free-port.js';
import { startWatchdog } from './bot-probe-helpers.js';

export const LINK_GRACE_MS = 3000;


export async function setup(t: TestContext) {
  const botPort = await freePort();
  const watchdogPort = await freePort();
  const run = startWatchdog(t, {
    command: botCommand('reverse-ws-bot.mjs'),
    env: { BOT_PORT: String(botPort) },
    startup: { grace: '1500ms' },
    backend: { kind: 'onebot-reverse', listen: `127.0.0.1:${watchdogPort}` },
    probes: { link: { listen: `127.0.0.1:${botPort}`, grace: `${LINK_GRACE_MS}ms`, interval: '200ms' } },
  });
  const napcats: FakeNapCat[] = [];
  t.after(async () => {
    for (const napcat of napcats) await napcat.stop();
  });
  const napcat = (to: 'bot' | 'watchdog') => {
    const fake = FakeNapCat.start({ url: `ws://127.0.0.1:${to === 'bot' ? botPort : watchdogPort}/`, heartbeatInterval: 500, reconnectInterval: 200 });
    napcats.push(fake);
    return fake;
  };
  return { run, napcat };
}

