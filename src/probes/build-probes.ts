import type { WatchdogConfig } from '../config/load-config.js';
import { backendProbes } from './backend-probes.js';
import type { Probe } from './probe.js';

/**
 * Every one-shot probe the config asks for, in a stable order: the backend first, then the bot.
 * `bot-watchdog check` runs each once; each probe module adds itself here.
 */
export function buildProbes(config: WatchdogConfig): Probe[] {
  const probes: Probe[] = [];
  probes.push(...backendProbes(config));
  return probes;
}
