import type { Clock, TimerHandle } from '../../clock/clock.js';
import type { HealthReporter } from '../../health/types.js';
import type { EventLog } from '../../log/events.js';
import { formatListenAddress, type ListenAddress } from '../../net/listen-address.js';
import { ReverseServer, type ReverseServerHandlers } from './server.js';

/** What the listener reports: the facts of NapCat's links, for the one reducer (src/backend/readiness.ts). */
export type NapCatLinkFacts = Pick<ReverseServerHandlers, 'open' | 'close' | 'signal'>;

export interface NapCatListenerOptions {
  /** `backend.listen`, parsed (port 0 picks a free port, for tests). */
  listen: ListenAddress;
  /** `backend.accessToken`: required from NapCat when set. */
  accessToken?: string | undefined;
  clock: Clock;
  logger: EventLog;
  /** Where a refused token goes (`probe.misconfigured`, once per reason, by the sink). */
  health: HealthReporter;
  /** Time between attempts to listen after a failure (EADDRINUSE…). Default 5 s. */
  listenRetryMs?: number;
  maxConnections?: number;
  maxPayload?: number;
  handshakeTimeout?: number;
}

const probe = 'onebot-reverse';

/**
 * The driver of backend.kind "onebot-reverse": the watchdog as one more reverse-WebSocket client
 * of NapCat. Listens on `backend.listen` and reports what NapCat's links do (open, close, its
 * lifecycle event, heartbeats, `bot_offline`); the reducer judges. Logs its own transitions for
 * people (listening, a link opened or closed, a refusal, garbage); a heartbeat, a message or a
 * repeated refusal costs no log line. Listening errors are logged and retried; it never sends
 * NapCat anything, and nothing here throws at its caller after construction.
 */
export class NapCatListener {
  private server: ReverseServer | undefined;
  private retryTimer: TimerHandle | undefined;
  private running = false;
  private facts: NapCatLinkFacts | undefined;
  private readonly garbageReported = new Set<number>();
  private readonly listenErrors = new Set<string>();
  /** Handshakes refused, frames that were not OneBot: counted for status. */
  refused = 0;
  garbageFrames = 0;

  constructor(private readonly options: NapCatListenerOptions) {}

  /** Starts listening. Resolves after the first attempt, whether it worked or not (a failure is retried). */
  async start(facts: NapCatLinkFacts): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.facts = facts;
    await this.tryListen();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.options.clock.clearTimeout(this.retryTimer);
    const server = this.server;
    this.server = undefined;
    await server?.close();
  }

  /** The bound address (with the real port when listening on port 0). */
  listeningOn(): ListenAddress | undefined {
    return this.server?.address();
  }

  private async tryListen(): Promise<void> {
    const { options } = this;
    const { listen, accessToken, clock, logger: log, health: _health, listenRetryMs: _retry, ...limits } = options;
    const server = new ReverseServer(
      { address: listen, accessToken, clock, ...limits },
      {
        open: (info) => {
          const { id, selfId, role, path, remote } = info;
          log.emit('ws.up', { probe, connection: id, selfId, role, path, remote }, 'NapCat connected');
          if (this.running) this.facts?.open(info);
        },
        signal: (id, signal) => {
          if (this.running) this.facts?.signal(id, signal);
        },
        garbage: (id, reason) => {
          this.garbageFrames++;
          if (this.garbageReported.has(id)) return;
          this.garbageReported.add(id);
          log.emit('backend.garbage', { probe, connection: id, reason }, `a frame that is not OneBot from NapCat's link: ${reason}`);
        },
        close: (id, code, reason) => {
          this.garbageReported.delete(id);
          log.emit('ws.lost', { probe, connection: id, cause: 'closed', closeCode: code, reason }, `NapCat's link closed (code ${code})`);
          if (this.running) this.facts?.close(id, code, reason);
        },
        refused: (status, reason, remote) => this.onRefused(status, reason, remote),
      },
    );
    try {
      const bound = await server.listen();
      if (!this.running) {
        await server.close();
        return;
      }
      this.server = server;
      const address = formatListenAddress(bound);
      log.emit('backend.listening', { probe, address }, `waiting for NapCat on ws://${address} (any path)`);
    } catch (error) {
      const raw = (error as { code?: unknown } | null)?.code;
      const code = typeof raw === 'string' ? raw : undefined;
      const reason = code === 'EADDRINUSE' ? 'the address is in use by another process' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
      const address = formatListenAddress(options.listen);
      const retryInMs = options.listenRetryMs ?? 5000;
      // Once per distinct error: the retries that follow say nothing new.
      if (!this.listenErrors.has(code ?? reason)) {
        this.listenErrors.add(code ?? reason);
        log.emit('backend.listen-error', { probe, address, code: code ?? null, reason, retryInMs }, `cannot listen on ${address}: ${reason}; trying again in ${retryInMs}ms`);
      }
      if (this.running) this.retryTimer = options.clock.setTimeout(() => void this.tryListen(), retryInMs, { unref: true });
    }
  }

  private onRefused(status: 401 | 403 | 503, reason: string, remote: string): void {
    this.refused++;
    if (status === 503) {
      // The server reports these at most once per source a minute, with a count.
      this.options.logger.emit('backend.refused', { probe, status, reason, remote }, `refused a connection from ${remote}: ${reason}`);
      return;
    }
    // Our token and NapCat's differ: our config (or NapCat's) is wrong, not NapCat. The health
    // sink logs probe.misconfigured once per distinct reason.
    this.options.health.report({ probe, verdict: 'misconfigured', reason: `refused NapCat's connection (${status}): ${reason}`, latencyMs: 0, evidence: { status, remote } });
  }
}
