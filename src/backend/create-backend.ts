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

/**
 * The backend of `config` (undefined for backend.kind "none"): its probes and its watcher, with
 * the options built here once. `check` uses `oneShotProbes`, `run` uses `watcher()`.
 */
export function createBackend(config: WatchdogConfig, deps: BackendDeps): Backend | undefined {
  const { backend } = config;
  const { clock } = deps;
  const ws = config.probes.websocket;
  const { interval, timeout, failureThreshold } = config.probes.backend;

  if (backend.kind === 'onebot-reverse') {
    if (backend.listen === undefined) return undefined;
    const listen = parseBackendListen(backend.listen);
    if (!listen) throw new Error(`backend.listen: expected a port or "host:port", got ${JSON.stringify(backend.listen)}`); // validated with the config already
    const policy = POLICIES[backend.kind];
    return {
      kind: backend.kind,
      policy,
      pollProbe: undefined,
      // NapCat's link cannot be checked once: `check` reads the running watchdog's verdict instead.
      oneShotProbes: [],
      watcher(port, logger) {
        // Loaded when it starts: the listener's server brings `ws`, which other configs never load.
        const accessToken = backend.accessToken || undefined;
        const listener = async () => new (await import('./onebot-reverse/listener.js')).NapCatListener({ listen, accessToken, clock, logger, health: port });
        return new BackendWatcher({ policy, listener, interval, timeout, failureThreshold, port, clock, logger });
      },
    };
  }
  if (backend.kind === 'none' || backend.url === undefined) return undefined;

  const { url } = backend;
  const wsUrl = backend.wsUrl === undefined ? {} : { wsUrl: backend.wsUrl };
  const liveness = { pingInterval: ws.pingInterval, pongTimeout: ws.pongTimeout, clock };
  let pollProbe: Probe;
  let wsProbe: Probe | undefined;
  let link: BackendWatcherOptions['link'];
  switch (backend.kind) {
    case 'mirai': {
      // One judge of whether backend.qq is a typo, for the poll and the link.
      const presence = backend.qq === undefined ? {} : { qq: backend.qq, presence: new MiraiBotPresence(backend.qq, failureThreshold) };
      const http = { url, verifyKey: backend.verifyKey ?? '', ...presence };
      const wsOptions: MiraiWsOptions = { ...http, ...wsUrl };
      // Without the WebSocket probe, verifyKey is proven by a verify/bind/release round.
      pollProbe = new MiraiHttpProbe({ ...http, verifySession: !ws.enabled, clock });
      if (ws.enabled) {
        wsProbe = new MiraiWsProbe(wsOptions, clock);
        link = { probe: 'mirai-ws', open: (open) => openMiraiLink(wsOptions, liveness, open) };
      }
      break;
    }
    case 'onebot': {
      const http = { url, ...(backend.accessToken ? { accessToken: backend.accessToken } : {}) };
      const wsOptions: OneBotWsOptions = { ...http, ...wsUrl };
      pollProbe = new OneBotHttpProbe({ ...http, clock });
      if (ws.enabled) {
        wsProbe = new OneBotWsProbe(wsOptions, clock);
        link = { probe: 'onebot-ws', open: (open) => openOneBotLink(wsOptions, liveness, open) };
      }
      break;
    }
    case 'http':
      pollProbe = new HttpProbe(url, clock);
      break;
    case 'tcp':
      pollProbe = new TcpProbe(url, clock);
      break;
  }

  const policy = POLICIES[backend.kind];
  return {
    kind: backend.kind,
    policy,
    pollProbe,
    oneShotProbes: wsProbe ? [pollProbe, wsProbe] : [pollProbe],
    watcher(port, logger) {
      if (ws.enabled && !link) {
        logger.emit(
          'config.ignored',
          { key: 'probes.websocket.enabled', kind: backend.kind },
          `probes.websocket applies to backend.kind "mirai" and "onebot" only; ignored for "${backend.kind}"`,
        );
      }
      return new BackendWatcher({ policy, poll: pollProbe, interval, timeout, failureThreshold, port, clock, logger, link });
    },
  };
}
