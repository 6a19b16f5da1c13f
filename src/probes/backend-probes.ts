import type { WatchdogConfig } from '../config/load-config.js';
import { HttpProbe } from './http.js';
import { MiraiHttpProbe } from './mirai-http.js';
import { MiraiWsProbe } from './mirai-ws.js';
import { OneBotHttpProbe } from './onebot-http.js';
import { OneBotWsProbe } from './onebot-ws.js';
import type { Probe } from './probe.js';
import { TcpProbe } from './tcp.js';

/**
 * The polled probe of the configured backend (the HTTP poll of probes.backend): mirai /about
 * (+ the bot), OneBot get_status, any 2xx, or a TCP connect. Undefined for kind "none".
 */
export function backendPollProbe(config: WatchdogConfig): Probe | undefined {
  const { backend } = config;
  if (backend.kind === 'none' || backend.url === undefined) return undefined;
  switch (backend.kind) {
    case 'mirai':
      return new MiraiHttpProbe({
        url: backend.url,
        verifyKey: backend.verifyKey ?? '',
        ...(backend.qq === undefined ? {} : { qq: backend.qq }),
        // Without the WebSocket probe, verifyKey is proven by a verify/bind/release round.
        verifySession: !config.probes.websocket.enabled,
      });
    case 'onebot':
      return new OneBotHttpProbe({ url: backend.url, ...(backend.accessToken ? { accessToken: backend.accessToken } : {}) });
    case 'http':
      return new HttpProbe(backend.url);
    case 'tcp':
      return new TcpProbe(backend.url);
  }
}

/** The one-shot WebSocket handshake probe of mirai or OneBot, when probes.websocket is enabled. */
export function backendWsProbe(config: WatchdogConfig): Probe | undefined {
  const { backend } = config;
  if (!config.probes.websocket.enabled || backend.url === undefined) return undefined;
  const ws = backend.wsUrl === undefined ? {} : { wsUrl: backend.wsUrl };
  if (backend.kind === 'mirai') {
    return new MiraiWsProbe({ url: backend.url, ...ws, verifyKey: backend.verifyKey ?? '', ...(backend.qq === undefined ? {} : { qq: backend.qq }) });
  }
  if (backend.kind === 'onebot') {
    return new OneBotWsProbe({ url: backend.url, ...ws, ...(backend.accessToken ? { accessToken: backend.accessToken } : {}) });
  }
  return undefined;
}

/** Every one-shot backend probe, for `bot-watchdog check`: the poll, then the WebSocket handshake. */
export function backendProbes(config: WatchdogConfig): Probe[] {
  return [backendPollProbe(config), backendWsProbe(config)].filter((p): p is Probe => p !== undefined);
}
