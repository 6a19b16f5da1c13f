// The NoneBot2 fixture bot under the real CLI with the nonebot2 preset's config and a test's
// timings, NapCat (fake) dialing both the bot and the watchdog. Shared by test/frameworks/nonebot2-*.
import type { TestContext } from 'node:test';
import { startWatchdog } from '../e2e/bot-probe-helpers.js';
import { freePort, noneBotPreset } from '../helpers/framework-configs.js';
import { requireVenv, skipWithoutVenv } from '../helpers/framework-venv.js';
import { NapCatInstance } from '../helpers/napcat-instance.js';

export const skip = skipWithoutVenv('.venv-nonebot');
const STARTUP_GRACE_MS = 3000;

export async function start(t: TestContext, link: Record<string, unknown>) {
  const python = requireVenv('.venv-nonebot');
  const ports = { bot: await freePort(), watchdog: await freePort() };
  // The preset's config with a test's timings: sampled often, short graces.
  const config = noneBotPreset(python, ports);
  config['probes'].link = { ...config['probes'].link, interval: '200ms', ...link };
  config['startup'] = { grace: `${STARTUP_GRACE_MS}ms` };
  // The preset's stop.hungTimeout kept (a hung NoneBot2 is SIGKILLed at once); a shorter stop.timeout.
  config['stop'] = { ...config['stop'], timeout: '2s' };
  const run = startWatchdog(t, config);
  const napcat = NapCatInstance.start({
    botUrl: `ws://127.0.0.1:${ports.bot}/onebot/v11/ws`,
    watchdogUrl: `ws://127.0.0.1:${ports.watchdog}/`,
    reconnectInterval: 300,
    heartbeatInterval: 1000,
  });
  t.after(() => napcat.stop());
  const spawned = await run.waitForEvent('child.spawn');
  await napcat.untilAnswers(20_000).catch((error: Error) => {
    throw new Error(`${error.message}\n--- watchdog ---\n${run.stderr().slice(-3000)}\n--- bot ---\n${run.stdout().slice(-3000)}`);
  });
  // Past the startup grace: faults count.
  const graceEnds = Date.parse(String(spawned.time)) + STARTUP_GRACE_MS + 200;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, graceEnds - Date.now())));
  return { run, napcat, pid: spawned.pid as number };
}

