import type { Clock } from '../clock/clock.js';
import type { WatchdogConfig } from '../config/load-config.js';
import type { BackendHealthPort } from '../health/types.js';
import type { EventLog } from '../log/events.js';
import { HttpProbe } from '../probes/http.js';
import type { Probe } from '../probes/probe.js';
import { TcpProbe } from '../probes/tcp.js';
import { BackendWatcher, type BackendWatcherOptions } from './backend-watcher.js';
import { MiraiBotPresence } from './mirai/bot-presence.js';
import { MiraiHttpProbe } from './mirai/mirai-http.js';
import { MiraiWsProbe, openMiraiLink, type MiraiWsOptions } from './mirai/mirai-ws.js';
import { OneBotHttpProbe } from './onebot/onebot-http.js';
import { OneBotWsProbe, openOneBotLink, type OneBotWsOptions } from './onebot/onebot-ws.js';
import { parseBackendListen } from '../net/listen-address.js';
import { POLICIES, type BackendKind, type BackendPolicy } from './policy.js';

export interface BackendDeps {
  /** Every timer and time of the backend: latency, timeouts, pings, retries, readiness. */
  clock: Clock;
}

/** The backend the config asks for, built once for `run` and `check`. */
export interface Backend {
  readonly kind: BackendKind;
  /** What its facts mean (policy.ts). */
  readonly policy: BackendPolicy;
  /** The polled probe of probes.backend: mirai /about (+ the bot), OneBot get_status, any 2xx, or a TCP connect; none for NapCat, which dials us. */
  readonly pollProbe: Probe | undefined;
  /** What `bot-watchdog check` runs once, in order: the poll, then the WebSocket handshake when probes.websocket is on. */
  readonly oneShotProbes: readonly Probe[];
  /**
   * The watcher of `run`: the supervisor's gate when the policy says so (starts wait until the
   * backend is ready), reporting results and facts into `port`. Logs `config.ignored` when
   * probes.websocket is on for a backend without a WebSocket.
   */
  watcher(port: BackendHealthPort, logger: EventLog): BackendWatcher;
}

/** The protocol options of the configured backend, for its probes and its link. */
type Kind =
  | { kind: 'mirai'; http: { url: string; verifyKey: string; qq?: number; presence?: MiraiBotPresence }; ws: MiraiWsOptions }
  | { kind: 'onebot'; http: { url: string; accessToken?: string }; ws: OneBotWsOptions }
  | { kind: 'http' | 'tcp'; url: string }
  | { kind: 'onebot-reverse'; listen: string | number; accessToken?: string };

function kindOf(config: WatchdogConfig): Kind | undefined {
  const { backend } = config;
  if (backend.kind === 'onebot-reverse') {
    if (backend.listen === undefined) return undefined;
    return { kind: 'onebot-reverse', listen: backend.listen, accessToken: backend.accessToken };
  }
  if (backend.kind === 'none' || backend.url === undefined) return undefined;
  const wsUrl = backend.wsUrl === undefined ? {} : { wsUrl: backend.wsUrl };
  switch (backend.kind) {
    case 'mirai': {
      // One judge of whether backend.qq is a typo, for the poll and the link.
      const presence = backend.qq === undefined ? {} : { qq: backend.qq, presence: new MiraiBotPresence(backend.qq, config.probes.backend.failureThreshold) };
      const http = { url: backend.url, verifyKey: backend.verifyKey ?? '', ...presence };
      return { kind: 'mirai', http, ws: { ...http, ...wsUrl } };
    }
    case 'onebot': {
      const http = { url: backend.url, accessToken: backend.accessToken };
      return { kind: 'onebot', http, ws: { ...http, ...wsUrl } };
    }
    case 'http':
    case 'tcp':
      return { kind: backend.kind, url: backend.url };
  }
}

/**
 * The backend of `config` (undefined for backend.kind "none"): its probes and its watcher, with
 * the options built here once. `check` uses `oneShotProbes`, `run` uses `watcher()`.
 */
export function createBackend(config: WatchdogConfig, deps: BackendDeps): Backend | undefined {
  const kind = kindOf(config);
  if (!kind) return undefined;
  const { clock } = deps;
  const ws = config.probes.websocket;
  const policy = POLICIES[kind.kind];
  const { interval, timeout, failureThreshold } = config.probes.backend;

  if (kind.kind === 'onebot-reverse') {
    const listen = parseBackendListen(kind.listen);
    if (!listen) throw new Error(`backend.listen: expected a port or "host:port", got ${JSON.stringify(kind.listen)}`); // validated with the config already
    return {
      kind: kind.kind,
      policy,
      pollProbe: undefined,
      // NapCat's link cannot be checked once: `check` reads the running watchdog's verdict instead.
      oneShotProbes: [],
      watcher(port, logger) {
        // Loaded when it starts: the listener's server brings `ws`, which other configs never load.
        const listener = async () => new (await import('./onebot-reverse/listener.js')).NapCatListener({ listen, accessToken: kind.accessToken, clock, logger, health: port });
        return new BackendWatcher({ policy, listener, interval, timeout, failureThreshold, port, clock, logger });
      },
    };
  }

  let pollProbe: Probe;
  let wsProbe: Probe | undefined;
  let link: BackendWatcherOptions['link'];
  const liveness = { pingInterval: ws.pingInterval, pongTimeout: ws.pongTimeout, clock };
  switch (kind.kind) {
    case 'mirai': {
      // Without the WebSocket probe, verifyKey is proven by a verify/bind/release round.
      pollProbe = new MiraiHttpProbe({ ...kind.http, verifySession: !ws.enabled, clock });
      if (ws.enabled) {
        wsProbe = new MiraiWsProbe(kind.ws, clock);
        link = { probe: 'mirai-ws', open: (open) => openMiraiLink(kind.ws, liveness, open) };
      }
      break;
    }
    case 'onebot': {
      pollProbe = new OneBotHttpProbe({ ...kind.http, clock });
      if (ws.enabled) {
        wsProbe = new OneBotWsProbe(kind.ws, clock);
        link = { probe: 'onebot-ws', open: (open) => openOneBotLink(kind.ws, liveness, open) };
      }
      break;
    }
    case 'http':
      pollProbe = new HttpProbe(kind.url, clock);
      break;
    case 'tcp':
      pollProbe = new TcpProbe(kind.url, clock);
      break;
  }

  return {
    kind: kind.kind,
    policy,
    pollProbe,
    oneShotProbes: wsProbe ? [pollProbe, wsProbe] : [pollProbe],
    watcher(port, logger) {
      if (ws.enabled && !link) {
        logger.emit(
          'config.ignored',
          { key: 'probes.websocket.enabled', kind: config.backend.kind },
          `probes.websocket applies to backend.kind "mirai" and "onebot" only; ignored for "${config.backend.kind}"`,
        );
      }
      return new BackendWatcher({ policy, poll: pollProbe, interval, timeout, failureThreshold, port, clock, logger, link });
    },
  };
}
