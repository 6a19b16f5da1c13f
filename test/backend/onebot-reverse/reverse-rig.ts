// NapCat's side of the one backend machine as a unit: the listener (driver), the backend watcher
// (the one reducer), a real health sink; what they do is read back as the named events the tests
// wait for. Tests may listen to the log: it is how people see it.
import { EventEmitter } from 'node:events';
import { BackendWatcher } from '../../../src/backend/backend-watcher.js';
import { NapCatListener, type NapCatListenerOptions } from '../../../src/backend/onebot-reverse/listener.js';
import type { ListenAddress } from '../../../src/net/listen-address.js';
import { POLICIES } from '../../../src/backend/policy.js';
import { linkedPeers, peersOk } from '../../../src/backend/readiness.js';
import type { EventLog } from '../../../src/log/events.js';
import { FakeHandle } from '../../helpers/fake-handle.js';
import { memoryLogger } from '../../helpers/log-sink.js';
import type { FakeClock } from '../../helpers/fake-clock.js';

export type RigOptions = Partial<Omit<NapCatListenerOptions, 'clock' | 'logger' | 'health' | 'listen'>> & { listen?: ListenAddress; logger?: EventLog };

type Fields = Record<string, unknown>;
const pick = (from: Fields, keys: string[], rename: Record<string, string> = {}): Fields => {
  const out: Fields = {};
  for (const key of keys) if (from[key] !== undefined) out[rename[key] ?? key] = from[key];
  return out;
};

/** Which log line stands for which event, and its payload. */
const EVENTS: Record<string, [string, (f: Fields) => Fields]> = {
  'ws.up': ['connection', (f) => ({ id: f['connection'], ...pick(f, ['selfId', 'role', 'path', 'remote']) })],
  'ws.lost': ['disconnection', (f) => ({ id: f['connection'], code: f['closeCode'], reason: f['reason'] })],
  'backend.ready': ['ready', (f) => pick(f, ['selfId', 'intervalMs', 'downMs'])],
  'backend.down': ['down', (f) => pick(f, ['cause', 'lastReason', 'closeCode', 'silentMs'], { lastReason: 'reason' })],
  'backend.blip': ['blip', (f) => pick(f, ['closeCode', 'downMs'])],
  'backend.account-offline': ['account-offline', (f) => pick(f, ['type', 'tag', 'message', 'selfId'], { type: 'cause' })],
  'backend.account-online': ['account-online', (f) => pick(f, ['offlineMs', 'selfId'])],
  'backend.refused': ['refused', (f) => pick(f, ['status', 'reason', 'remote'])],
  'backend.garbage': ['garbage', (f) => ({ id: f['connection'], reason: f['reason'] })],
  'backend.listening': ['listening', (f) => pick(f, ['address'])],
  'backend.listen-error': ['listen-error', (f) => pick(f, ['address', 'code', 'reason', 'retryInMs'])],
};

export class ReverseRig extends EventEmitter {
  readonly handle: FakeHandle;
  readonly listener: NapCatListener;
  readonly watcher: BackendWatcher;
  readonly log: EventLog;

  constructor(
    readonly timers: FakeClock,
    options: RigOptions = {},
  ) {
    super();
    this.log = options.logger ?? memoryLogger('debug').logger;
    this.handle = new FakeHandle(timers, this.log);
    const { listen, logger: _logger, ...limits } = options;
    this.listener = new NapCatListener({ listen: listen ?? { host: '127.0.0.1', port: 0 }, ...limits, clock: timers, logger: this.log, health: this.handle.health });
    this.watcher = new BackendWatcher({
      policy: POLICIES['onebot-reverse'],
      listener: () => this.listener,
      interval: 1000,
      timeout: 1000,
      failureThreshold: 3,
      port: this.handle.health,
      clock: timers,
      logger: this.log,
    });
    this.log.on((record) => {
      const mapping = EVENTS[record.event];
      if (!mapping || (record.event === 'backend.refused' && record['status'] === undefined)) return;
      this.emit(mapping[0], { ...mapping[1](record as Fields), ...(mapping[0] === 'connection' || mapping[0] === 'disconnection' || mapping[0] === 'refused' || mapping[0] === 'garbage' || mapping[0] === 'listening' || mapping[0] === 'listen-error' ? {} : { at: timers.now() }) });
    });
    // A token refused (401/403) is our config: a misconfigured result for the sink.
    this.handle.sink.subscribe((update) => {
      if (update.kind !== 'probe' || update.result.probe !== 'onebot-reverse' || update.result.verdict !== 'misconfigured') return;
      this.emit('refused', { status: update.result.evidence?.['status'], reason: update.result.reason, remote: update.result.evidence?.['remote'] });
    });
    // Every heartbeat NapCat's links deliver, as the listener reports it.
    const start = this.listener.start.bind(this.listener);
    this.listener.start = (facts) =>
      start({
        ...facts,
        signal: (id, signal) => {
          facts.signal(id, signal);
          if (signal.kind === 'heartbeat') this.emit('heartbeat', { id, intervalMs: signal.intervalMs, online: signal.online, at: timers.now() });
        },
      });
  }

  start(): Promise<void> {
    return this.watcher.start();
  }

  stop(): Promise<void> {
    return this.watcher.stop();
  }

  /** NapCat is linked with fresh heartbeats (whatever its account says). */
  isReady(): boolean {
    return peersOk(this.watcher.readiness, this.timers.now());
  }

  /** False only when NapCat said a QQ account is offline. */
  accountOnline(): boolean {
    return Object.keys(this.watcher.readiness.accountOffline).length === 0;
  }

  listeningOn(): ListenAddress | undefined {
    return this.listener.listeningOn();
  }

  snapshot(): { connections: number; account: string; selfId: number | undefined; garbageFrames: number; linked: number; listening: string | undefined } {
    const state = this.watcher.readiness;
    const peers = Object.values(state.peers);
    const bound = this.listener.listeningOn();
    return {
      listening: bound ? `${bound.host}:${bound.port}` : undefined,
      connections: Object.keys(state.connections).length,
      account: peers[0]?.account ?? 'unknown',
      selfId: peers[0]?.selfId,
      garbageFrames: this.listener.garbageFrames,
      linked: linkedPeers(state, this.timers.now()).length,
    };
  }
}
