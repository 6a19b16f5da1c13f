import { existsSync } from 'node:fs';
import type { WatchdogConfig } from '../config/load-config.js';
import { BotProcessProbe } from './bot-process.js';
import { HeartbeatFileProbe } from './heartbeat-file.js';
import type { Probe } from './probe.js';

/**
 * Every one-shot probe the config asks for, in a stable order: the backend first, then the bot.
 * `bot-watchdog check` runs each once; each probe module adds itself here. Modules that are
 * slow to load are imported only when the config asks for them: a check must start fast.
 */
export async function buildProbes(config: WatchdogConfig): Promise<Probe[]> {
  const probes: Probe[] = [];
  if (config.backend.kind !== 'none') {
    const { backendProbes } = await import('./backend-probes.js');
    probes.push(...backendProbes(config));
  }
  // The bot: its heartbeat file. (The link probe needs the running bot's process tree, and the
  // output probes its output: they only exist under `run`.)
  const heartbeat = config.probes.heartbeat;
  if (heartbeat) probes.push(new HeartbeatFileProbe({ file: heartbeat.file, maxAge: heartbeat.maxAge }));
  // The watchdog's state file, when one has run with this config: are it and its bot alive?
  if (existsSync(config.state.file)) probes.push(new BotProcessProbe(config.state.file));
  return probes;
}
