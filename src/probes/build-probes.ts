import type { WatchdogConfig } from '../config/load-config.js';
import { backendProbes } from './backend-probes.js';
import { HeartbeatFileProbe } from './heartbeat-file.js';
import type { Probe } from './probe.js';

/**
 * Every one-shot probe the config asks for, in a stable order: the backend first, then the bot.
 * `bot-watchdog check` runs each once; each probe module adds itself here.
 */
export function buildProbes(config: WatchdogConfig): Probe[] {
  const probes: Probe[] = [];
  probes.push(...backendProbes(config));
  // The bot: its heartbeat file. (The link probe needs the running bot's process tree, and the
  // output probes its output: they only exist under `run`.)
  const heartbeat = config.probes.heartbeat;
  if (heartbeat) probes.push(new HeartbeatFileProbe({ file: heartbeat.file, maxAge: heartbeat.maxAge }));
  return probes;
}
