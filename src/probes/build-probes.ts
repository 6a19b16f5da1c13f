import { existsSync } from 'node:fs';
import type { Clock } from '../clock/clock.js';
import type { WatchdogConfig } from '../config/load-config.js';
import { BotProcessProbe } from './bot-process.js';
import { HeartbeatFileProbe } from './heartbeat-file.js';
import type { Probe } from './probe.js';
import { RecordedVerdictProbe } from './recorded-verdict.js';

/** Every name of a backend one-shot probe (createBackend().oneShotProbes), so that `check --only heartbeat` need not load them. */
export const BACKEND_PROBE_NAMES: readonly string[] = ['mirai-http', 'mirai-ws', 'onebot-http', 'onebot-ws', 'http', 'tcp'];

/**
 * Every one-shot probe the config asks for, in a stable order: the backend first, then the bot.
 * `bot-watchdog check` runs each once; each probe module adds itself here. Modules that are
 * slow to load are imported only when the config asks for them, and, given `only` (check's
 * `--only`), only when one of their probes is wanted: a check must start fast.
 */
export async function buildProbes(config: WatchdogConfig, clock: Clock, only?: readonly string[]): Promise<Probe[]> {
  const probes: Probe[] = [];
  const backendWanted = !only || only.some((name) => BACKEND_PROBE_NAMES.includes(name));
  if (config.backend.kind !== 'none' && backendWanted) {
    const { createBackend } = await import('../backend/create-backend.js');
    probes.push(...(createBackend(config, { clock })?.oneShotProbes ?? []));
  }
  // The bot: its heartbeat file. (The link probe needs the running bot's process tree, and the
  // output probes its output: they only exist under `run`.)
  const heartbeat = config.probes.heartbeat;
  if (heartbeat) probes.push(new HeartbeatFileProbe({ file: heartbeat.file, maxAge: heartbeat.maxAge, now: () => clock.now(), wallNow: () => clock.wallNow() }));
  // The watchdog's state file, when one has run with this config: are it and its bot alive?
  if (existsSync(config.state.file)) probes.push(new BotProcessProbe(config.state.file));
  // What only the running watchdog can see: its last verdict, from the state file, with its age.
  if (config.probes.link?.enabled) probes.push(new RecordedVerdictProbe('link', config.state.file));
  if (config.backend.kind === 'onebot-reverse') probes.push(new RecordedVerdictProbe('onebot-reverse', config.state.file));
  return probes;
}
