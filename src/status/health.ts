import type { StateFile } from '../state/state-file.js';

/** `GET /healthz`: healthy when the bot runs and every probe's last verdict is healthy. */
export interface Health {
  healthy: boolean;
  /** One short sentence: what is wrong, or "the bot runs and every probe is healthy". */
  reason: string;
  state: StateFile['state'];
  pid: number | null;
  /** Each probe's last verdict. */
  probes: Record<string, string>;
}

/** Pure: the health of a state. A probe that is starting (unknown) or misconfigured is not healthy. */
export function healthOf(state: StateFile): Health {
  const probes: Record<string, string> = {};
  for (const [name, probe] of Object.entries(state.probes)) probes[name] = probe.verdict;
  const base = { state: state.state, pid: state.bot?.pid ?? null, probes };
  if (state.state !== 'running' || !state.bot) {
    return { healthy: false, reason: `the bot is not running (watchdog ${state.state})`, ...base };
  }
  const failing = Object.entries(state.probes).filter(([, probe]) => probe.verdict !== 'healthy');
  if (failing.length > 0) {
    const text = failing.map(([name, probe]) => `${name} ${probe.verdict}${probe.reason ? `: ${probe.reason}` : ''}`).join('; ');
    return { healthy: false, reason: text.length > 500 ? `${text.slice(0, 497)}...` : text, ...base };
  }
  return { healthy: true, reason: 'the bot runs and every probe is healthy', ...base };
}
