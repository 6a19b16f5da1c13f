import type { HealthVerdict } from '../../health/types.js';
import type { EventLog } from '../../log/events.js';
import type { WatchdogConfig } from '../../config/load-config.js';
import type { Monitor, SupervisorHandle } from '../../supervisor/types.js';
import { BackendRestarter } from '../backend-restarter.js';
import { logBackendRestarter } from '../restarter-log.js';
import type { Timers } from '../timers.js';
import { OneBotReverseBackend } from './backend.js';
import { feedRestarter } from './feed-restarter.js';
import { logOneBotReverse } from './log-events.js';

const PROBE = 'onebot-reverse';

export interface OneBotReverseMonitorOptions {
  backend: OneBotReverseBackend;
  logger: EventLog;
  /** backend.restart, fed with NapCat's outages and offline account. */
  restarter?: BackendRestarter | undefined;
}

/**
 * backend.kind "onebot-reverse" as a plug-in: runs the NapCat listener for the watchdog's whole
 * life, logs its transitions, reports its verdict (`onebot-reverse` in the state file) and feeds
 * `backend.restart`. It never asks for a restart of the bot and is no start gate: NapCat
 * reconnects to the bot by itself once it is back.
 */
export class OneBotReverseMonitor implements Monitor {
  readonly name = PROBE;
  private stopFeed: (() => void) | undefined;

  constructor(private readonly options: OneBotReverseMonitorOptions) {}

  get backend(): OneBotReverseBackend {
    return this.options.backend;
  }

  async start(handle: SupervisorHandle): Promise<void> {
    const { backend, logger, restarter } = this.options;
    logOneBotReverse(backend, logger, handle.health);
    if (restarter) {
      logBackendRestarter(restarter, logger);
      this.stopFeed = feedRestarter(backend, restarter);
    }
    const report = (verdict: HealthVerdict) => handle.health.report({ probe: PROBE, verdict, reason: backend.lastReason() ?? verdict, latencyMs: 0 });
    const judge = () => report(backend.isReady() && backend.accountOnline() ? 'healthy' : 'unhealthy');
    backend.on('ready', judge);
    backend.on('down', judge);
    backend.on('account-offline', judge);
    backend.on('account-online', judge);
    report('unknown');
    await backend.start();
  }

  async stop(): Promise<void> {
    this.stopFeed?.();
    this.options.restarter?.stop();
    await this.options.backend.stop();
  }
}

/** The plug-in for a config with backend.kind "onebot-reverse" (undefined for other kinds). */
export function createOneBotReverseMonitor(config: WatchdogConfig, logger: EventLog, timers?: Timers): OneBotReverseMonitor | undefined {
  const { backend } = config;
  if (backend.kind !== 'onebot-reverse' || backend.listen === undefined) return undefined;
  const napcat = new OneBotReverseBackend({
    listen: backend.listen,
    ...(backend.accessToken ? { accessToken: backend.accessToken } : {}),
    ...(timers ? { timers } : {}),
  });
  const restart = backend.restart;
  const restarter = restart
    ? new BackendRestarter({ command: restart.command as [string, ...string[]], after: restart.after, cooldown: restart.cooldown, ...(timers ? { timers } : {}) })
    : undefined;
  return new OneBotReverseMonitor({ backend: napcat, logger, restarter });
}
