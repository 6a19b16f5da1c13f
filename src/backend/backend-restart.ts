import type { Clock } from '../clock/clock.js';
import type { WatchdogConfig } from '../config/load-config.js';
import type { HealthUpdate } from '../health/health-sink.js';
import type { EventLog } from '../log/events.js';
import type { Plugin, SupervisorHandle } from '../supervisor/types.js';
import { BackendRestarter, type BackendRestarterOptions } from './backend-restarter.js';
import { logBackendRestarter } from './restarter-log.js';

/**
 * `backend.restart`, for every backend kind: fed by the backend's facts as the health sink
 * publishes them — `down` from a confirmed outage until the backend is ready again,
 * `account-offline` while an account is offline. A blip is no problem.
 */
export class BackendRestart implements Plugin {
  readonly name = 'backend-restart';
  private down = false;
  private readonly offline = new Set<string>();
  private off: (() => void) | undefined;

  constructor(
    private readonly restarter: BackendRestarter,
    private readonly log: EventLog,
  ) {}

  start(handle: Pick<SupervisorHandle, 'health'>): void {
    logBackendRestarter(this.restarter, this.log);
    this.off = handle.health.subscribe((update) => this.onUpdate(update));
  }

  stop(): void {
    this.off?.();
    this.off = undefined;
    this.restarter.stop();
  }

  private onUpdate(update: HealthUpdate): void {
    if (update.kind !== 'backend') return;
    const { fact } = update;
    const account = String(fact.account ?? '');
    switch (fact.type) {
      case 'down':
        this.down = true;
        break;
      case 'ready':
        this.down = false;
        break;
      case 'account-offline':
        this.offline.add(account);
        break;
      case 'account-online':
        this.offline.delete(account);
        break;
      default:
        return;
    }
    this.restarter.report(this.down ? 'down' : this.offline.size > 0 ? 'account-offline' : undefined);
  }
}

/** The plug-in for a config with `backend.restart` (undefined without). */
export function createBackendRestart(
  config: WatchdogConfig,
  log: EventLog,
  clock: Clock,
  run?: BackendRestarterOptions['run'],
): BackendRestart | undefined {
  const restart = config.backend.restart;
  if (!restart || config.backend.kind === 'none') return undefined;
  const restarter = new BackendRestarter({
    command: restart.command as [string, ...string[]],
    after: restart.after,
    cooldown: restart.cooldown,
    clock,
    run,
  });
  return new BackendRestart(restarter, log);
}
