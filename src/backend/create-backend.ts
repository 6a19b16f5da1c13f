import type { WatchdogConfig } from '../config/load-config.js';
import type { EventLog } from '../log/events.js';
import { HttpProbe } from '../probes/http.js';
import type { Probe } from '../probes/probe.js';
import { TcpProbe } from '../probes/tcp.js';
import { BackendMonitor, type BackendMonitorOptions } from './backend-monitor.js';
import { MiraiHttpProbe } from './mirai/mirai-http.js';
import { MiraiWsProbe, openMiraiLink } from './mirai/mirai-ws.js';
import { OneBotHttpProbe } from './onebot/onebot-http.js';
import { OneBotWsProbe, openOneBotLink } from './onebot/onebot-ws.js';

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

/**
 * The backend monitor the config asks for (the supervisor's gate and a source of backend-down
 * restarts), or undefined for backend.kind "none".
 */
export function createBackendMonitor(config: WatchdogConfig, logger: EventLog): BackendMonitor | undefined {
  const poll = backendPollProbe(config);
  const { backend } = config;
  if (!poll || backend.url === undefined) return undefined;
  const { interval, timeout, failureThreshold } = config.probes.backend;
  const ws = config.probes.websocket;
  const liveness = { pingInterval: ws.pingInterval, pongTimeout: ws.pongTimeout };
  const wsUrl = backend.wsUrl === undefined ? {} : { wsUrl: backend.wsUrl };

  let link: BackendMonitorOptions['link'];
  if (ws.enabled && backend.kind === 'mirai') {
    const options = { url: backend.url, ...wsUrl, verifyKey: backend.verifyKey ?? '', ...(backend.qq === undefined ? {} : { qq: backend.qq }) };
    link = { probe: 'mirai-ws', open: (open) => openMiraiLink(options, liveness, open), accountOffline: 'wait-for-relogin' };
  } else if (ws.enabled && backend.kind === 'onebot') {
    const options = { url: backend.url, ...wsUrl, ...(backend.accessToken ? { accessToken: backend.accessToken } : {}) };
    link = { probe: 'onebot-ws', open: (open) => openOneBotLink(options, liveness, open), accountOffline: 'outage' };
  } else if (ws.enabled) {
    logger.emit('config.ignored',
      { key: 'probes.websocket.enabled', kind: backend.kind },
      `probes.websocket applies to backend.kind "mirai" and "onebot" only; ignored for "${backend.kind}"`,
    );
  }
  return new BackendMonitor({ poll, interval, timeout, failureThreshold, logger, ...(link ? { link } : {}) });
}
