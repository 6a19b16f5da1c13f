import type { EventLog } from '../log/events.js';
import type { WatchdogConfig } from '../config/load-config.js';
import { backendPollProbe } from '../probes/backend-probes.js';
import { openMiraiLink } from '../probes/mirai-ws.js';
import { openOneBotLink } from '../probes/onebot-ws.js';
import { BackendMonitor, type BackendMonitorOptions } from './backend-monitor.js';

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
