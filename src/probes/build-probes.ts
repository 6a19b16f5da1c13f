import type { WatchdogConfig } from '../config/load-config.js';
import type { Probe } from './probe.js';

/**
 * Every one-shot probe the config asks for, in a stable order: the backend first, then the bot.
 * `bot-watchdog check` runs each once; each probe module adds itself here.
 */
export function buildProbes(_config: WatchdogConfig): Probe[] {
  const probes: Probe[] = [];
  return probes;
}
