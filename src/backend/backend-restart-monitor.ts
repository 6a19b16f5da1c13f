import type { Clock } from '../clock/clock.js';
import type { WatchdogConfig } from '../config/load-config.js';
import type { EventLog, EventRecord } from '../log/events.js';
import type { Monitor } from '../supervisor/types.js';
import { BackendRestarter, type BackendRestarterOptions } from './backend-restarter.js';
import { logBackendRestarter } from './restarter-log.js';

/**
 * `backend.restart` for the backends the watchdog polls and links to (mirai, OneBot, http, tcp):
 * fed by the backend's own events — `down` from `backend.down` until `backend.ready`,
 * `account-offline` from `backend.account-offline` until `backend.account-online`. A blip is no
 * problem. (onebot-reverse feeds its restarter from the NapCat listener itself.)
 */
export class BackendRestartMonitor implements Monitor {
  readonly name = 'backend-restart';
  private down = false;
  private offline = false;
  private off: (() => void) | undefined;

  constructor(
    private readonly restarter: BackendRestarter,
    private readonly log: EventLog,
  ) {}

  start(): void {
    logBackendRestarter(this.restarter, this.log);
    this.off = this.log.on((record) => this.onEvent(record));
  }

  stop(): void {
    this.off?.();
    this.off = undefined;
    this.restarter.stop();
  }

  private onEvent(record: EventRecord): void {
    switch (record.event) {
      case 'backend.down':
        this.down = true;
        break;
      case 'backend.ready':
        this.down = false;
        break;
      case 'backend.account-offline':
        this.offline = true;
        break;
      case 'backend.account-online':
        this.offline = false;
        break;
      default:
        return;
    }
    this.restarter.report(this.down ? 'down' : this.offline ? 'account-offline' : undefined);
  }
}

/** The plug-in for a config with `backend.restart` (undefined without, and for onebot-reverse). */
export function createBackendRestartMonitor(
  config: WatchdogConfig,
  log: EventLog,
  clock: Clock,
  run?: BackendRestarterOptions['run'],
): BackendRestartMonitor | undefined {
  const restart = config.backend.restart;
  if (!restart || config.backend.kind === 'onebot-reverse' || config.backend.kind === 'none') return undefined;
  const restarter = new BackendRestarter({
    command: restart.command as [string, ...string[]],
    after: restart.after,
    cooldown: restart.cooldown,
    timers: { now: () => clock.now(), setTimeout: (fn, ms) => clock.setTimeout(fn, ms, { unref: true }), clearTimeout: (h) => clock.clearTimeout(h) },
    ...(run ? { run } : {}),
  });
  return new BackendRestartMonitor(restarter, log);
}
