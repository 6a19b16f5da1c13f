import type { Clock } from '../clock/clock.js';
import type { EventLog } from '../log/events.js';
import type { WatchdogConfig } from '../config/load-config.js';
import { parseListenAddress } from '../net/listen-address.js';
import { createRedactor } from '../log/redact.js';
import { StateWriter } from '../state/state-writer.js';
import type { Plugin, SupervisorHandle } from '../supervisor/types.js';
import { packageVersion } from '../version.js';
import { DASHBOARD } from './dashboard.js';
import { LiveStatus } from './live-status.js';
import { StatusMetrics } from './metrics.js';
import { StatusServer, type StatusLimits } from './server.js';
import { secretValues } from '../config/secret-values.js';

export interface StatusEndpointOptions {
  config: Pick<WatchdogConfig, 'status' | 'state' | 'configFile' | 'command' | 'backend'>;
  logger: EventLog;
  clock: Clock;
  limits?: Partial<StatusLimits>;
  /**
   * The state file's writer, already a plug-in of the same supervisor: `/status` is then its very
   * snapshot. Without it the endpoint keeps its own copy (the same code, writing nothing).
   */
  stateWriter?: Pick<StateWriter, 'snapshot'>;
}

/**
 * The status endpoint as a plug-in of the supervisor: `/healthz`, `/status`, `/metrics`, the
 * dashboard at `/` and its event stream `/events`, all fed by the supervisor's events. It keeps
 * its own in-memory copy of the state (the state file's own code, writing nothing), so `/status`
 * is exactly what `bot-watchdog status --json` prints. A port in use is logged and supervision
 * goes on without the endpoint. The backend and the account come from the backend's facts, as the
 * health sink publishes them (outages, ready, the QQ account), not guessed from probe verdicts.
 */
export class StatusEndpoint implements Plugin {
  readonly name = 'status';
  readonly metrics: StatusMetrics;
  readonly live: LiveStatus;
  private readonly state: Pick<StateWriter, 'snapshot'>;
  /** Our own in-memory copy of the state, when no writer was given. */
  private readonly ownState: StateWriter | undefined;
  private readonly server: StatusServer;
  private listening: { url: string; port: number } | undefined;

  constructor(private readonly options: StatusEndpointOptions) {
    const { config, logger } = options;
    const listen = parseListenAddress(config.status.listen ?? 0);
    if ('problem' in listen) throw new Error(`status.listen: ${listen.problem}`); // validated with the config already
    this.ownState = options.stateWriter
      ? undefined
      : new StateWriter({ file: config.state.file, configFile: config.configFile, command: config.command, version: packageVersion(), logger, clock: options.clock, persist: () => {} });
    this.state = options.stateWriter ?? (this.ownState as StateWriter);
    this.metrics = new StatusMetrics({ backendKind: config.backend.kind, now: () => options.clock.wallNow(), monotonic: () => options.clock.now() });
    const redact = createRedactor(secretValues(config));
    this.live = new LiveStatus({
      snapshot: () => this.state.snapshot(),
      stateFile: config.state.file,
      backendKind: config.backend.kind,
      metrics: this.metrics,
      redact,
      now: () => options.clock.wallNow(),
      onError: (error) => logger.emit('status.error', { where: 'update', error: (error as Error).message }, `status endpoint: ${(error as Error).message}`),
    });
    this.server = new StatusServer({
      listen,
      token: config.status.token,
      logger,
      page: DASHBOARD,
      clock: options.clock,
      limits: options.limits,
      source: {
        status: () => this.live.status(),
        health: () => this.live.health(),
        view: () => this.live.view(),
        metrics: async () => ({ contentType: this.metrics.contentType, body: await this.metrics.render() }),
        subscribe: (listener) => this.live.subscribe(listener),
      },
    });
  }

  async start(handle: SupervisorHandle): Promise<void> {
    this.ownState?.start(handle);
    this.live.start(handle);
    const result = await this.server.listen();
    if (result.ok) this.listening = { url: result.url, port: result.port };
  }

  /** Where the endpoint listens, once it does. */
  address(): { url: string; port: number } | undefined {
    return this.listening;
  }

  async stop(): Promise<void> {
    this.ownState?.stop();
    this.live.stop();
    await this.server.close();
  }
}

/**
 * The status plug-in (for a config with `status.listen`). `before`: the plug-ins built so far;
 * the state file's writer among them (started before this one) is the source of `/status`.
 */
export function createStatusEndpoint(config: WatchdogConfig, logger: EventLog, clock: Clock, before: readonly Plugin[] = []): StatusEndpoint {
  const stateWriter = before.find((plugin): plugin is StateWriter => plugin instanceof StateWriter);
  return new StatusEndpoint({ config, logger, clock, stateWriter });
}
