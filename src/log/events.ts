import type { Logger } from 'pino';

/**
 * The catalogue of every log event: its name, level and fields. Every log line goes through
 * `EventLog.emit`, so an event that is not here cannot be logged; the README's event table lists
 * exactly these names (test/log/event-catalogue.test.ts).
 */
export type EventLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** What a probe saw, carried by the events of its failure (file age, queue sizes, the matched line…). */
export type Evidence = Record<string, unknown>;

type Signal = NodeJS.Signals | string;

export interface EventFields {
  'watchdog.start': { pid: number; version: string; config: string | null; command: readonly string[] };
  'watchdog.pid1': { pid: number };
  'watchdog.shutdown': { signal: Signal };
  'watchdog.force': { signal: Signal };
  'watchdog.sighup': { state: string };
  'watchdog.exit': { code: number };
  'watchdog.crash': { err: unknown; killed: number[] };
  'watchdog.error': { err: unknown };
  'watchdog.duplicate': { stateFile: string; pid?: number; pids?: number[]; startedAt?: string | null };
  'child.spawn': { pid: number; command: readonly string[] };
  'child.exit': { pid: number; code: number | null; signal: Signal | null; uptimeMs: number };
  'child.stop': Evidence & { pid: number; reason: string; signal: Signal; killAfterMs: number };
  'child.kill': { pids: number[]; signal: Signal };
  'child.error': { command: readonly string[]; code: string | undefined; error: string };
  'child.survivors': { pids: number[] };
  'restart.scheduled': { reason: string; attempt: number; delayMs: number };
  'restart.skipped': { reason: string; policy: string; status: number };
  'restart.giveup': { restarts: number; window: number };
  'backend.waiting': { reason: string; waitedMs: number };
  'backend.ready': Evidence & { downMs?: number; degraded?: string[] };
  'backend.down': Evidence & { probe: string; lastReason: string };
  'backend.blip': Evidence & { probe: string; lastReason: string; reconnect: string };
  'backend.flapping': { reason: string; outages: number; windowMs: number; delayMs: number };
  'backend.timeout': { timeoutMs: number; lastReason?: string };
  'backend.account-offline': Evidence & { probe: string; type: string };
  'backend.account-online': Evidence & { probe: string; type: string; offlineMs?: number };
  'probe.failed': Evidence & { probe: string; reason: string };
  'probe.recovered': Evidence & { probe: string; reason: string };
  'probe.misconfigured': Evidence & { probe: string; reason: string };
  'probe.disabled': { probe: string; detail: string };
  'probe.link.target': { targets: { target: string; from: string }[]; addresses: Record<string, string[]>; listen?: string; stallMs?: number };
  'child.port-busy': { ports: string[]; holders: PortHolderFields[]; timeoutMs: number };
  'child.port-free': { ports: string[]; waitedMs: number };
  'child.port-timeout': { ports: string[]; holders: PortHolderFields[]; waitedMs: number };
  'ws.lost': Evidence & { probe: string; cause: string; closeCode?: number; reason: string };
  'ws.reset': { probe: string; closeCode?: number; reason: string; count: number; delayMs: number };
  'ws.up': Evidence & { probe: string };
  'ws.retry': { probe: string; reason: string; delayMs: number };
  'ws.heartbeat': Evidence & { probe: string; intervalMs: number | null };
  'config.ignored': { key: string; kind: string };
  'monitor.error': { monitor: string; err: unknown };
  'orphan.found': { pid: number; rootAlive: boolean; pids: number[]; watchdogPid: number; startedAt: string };
  'orphan.stopped': { pid: number; forced: boolean };
  'orphan.survivors': { pids: number[] };
  'orphan.unverifiable': { pid: number };
  'state.error': { file: string; error: string };
  'state.written': { file: string };
  'state.unreadable': { file: string; reason: string };
  'backend.listening': { probe: string; address: string };
  'backend.listen-error': { probe: string; address: string; code: string | null; reason: string; retryInMs: number };
  'backend.refused': { probe: string; status: number; reason: string; remote: string };
  'backend.garbage': Evidence & { probe: string; reason: string };
  'backend.restart.run': Evidence & { attempt: number; problem: string; unhealthyForMs: number };
  'backend.restart': Evidence & { ok: boolean; attempt: number; problem: string };
  'backend.restart.giveup': { attempts: number; problem: string; unhealthyForMs: number };
  'backend.restart.reset': { attempts: number };
  'restart.planned': { next: string | null; due?: string; restarted?: boolean; skipped?: string; uptimeMs?: number };
  'state.unusable': { folder: string; file: string; code: string | null; reason: string };
  'orphan.marker-ignored': { pid: number; name: string; problem: string };
  'log.dropped': { dropped: number };
  'status.listening': { url: string; port: number; auth: boolean };
  'status.failed': { listen: string; code: string | undefined; error: string };
  'status.error': { where: string; error: string };
  'status.refused': { remote: string; reason: string; count: number };
  'watchdog.signal': { signal: Signal; action: string; count: number };
  'hook.failed': { reason: string; hook?: number; command?: string; url?: string; for?: string; timedOut?: boolean };
  'hook.dropped': { dropped: number; total: number; queueLimit: number };
}

/** Who holds a port the bot needs (process/port-holders.ts). */
interface PortHolderFields {
  port: string;
  listening: string;
  pid: number | undefined;
  command: string | undefined;
}

export type EventName = keyof EventFields;

export interface EventSpec {
  level: EventLevel;
  /** What the event means, for people reading the code. The README's table documents the fields. */
  summary: string;
}

export const EVENTS: { readonly [E in EventName]: EventSpec } = {
  'watchdog.start': { level: 'info', summary: 'the watchdog started' },
  'watchdog.pid1': { level: 'warn', summary: 'running as PID 1 without an init' },
  'watchdog.shutdown': { level: 'info', summary: 'a stop signal arrived' },
  'watchdog.force': { level: 'warn', summary: 'a second stop signal: the tree is killed now' },
  'watchdog.sighup': { level: 'info', summary: 'SIGHUP while waiting for the backend' },
  'watchdog.exit': { level: 'info', summary: 'the watchdog exits with this code' },
  'watchdog.crash': { level: 'fatal', summary: 'an internal error: the bot tree was killed' },
  'watchdog.error': { level: 'fatal', summary: 'an internal error ended supervision' },
  'watchdog.duplicate': { level: 'error', summary: 'another watchdog holds the state file' },
  'child.spawn': { level: 'info', summary: 'the bot was started' },
  'child.exit': { level: 'info', summary: 'the bot exited' },
  'child.stop': { level: 'info', summary: 'the watchdog stops the bot' },
  'child.kill': { level: 'info', summary: 'signals sent to the bot tree' },
  'child.error': { level: 'error', summary: 'the bot could not be started' },
  'child.survivors': { level: 'error', summary: 'processes of the tree could not be killed' },
  'restart.scheduled': { level: 'info', summary: 'the bot will be started again' },
  'restart.skipped': { level: 'info', summary: 'the policy does not restart' },
  'restart.giveup': { level: 'error', summary: 'restart.limit reached' },
  'backend.waiting': { level: 'info', summary: 'a start waits for the backend' },
  'backend.ready': { level: 'info', summary: 'the backend is ready' },
  'backend.down': { level: 'warn', summary: 'a confirmed backend outage' },
  'backend.blip': { level: 'warn', summary: 'the backend link dropped and came straight back' },
  'backend.flapping': { level: 'warn', summary: 'the backend caused too many restarts: the next start waits (restart.flapping)' },
  'backend.timeout': { level: 'error', summary: 'startup.timeout reached' },
  'backend.account-offline': { level: 'warn', summary: 'the QQ account went offline' },
  'backend.account-online': { level: 'info', summary: 'the QQ account is online again' },
  'probe.failed': { level: 'warn', summary: 'a probe turned unhealthy' },
  'probe.recovered': { level: 'info', summary: 'a failed probe is healthy again' },
  'probe.misconfigured': { level: 'error', summary: 'our config points at something unusable' },
  'probe.disabled': { level: 'warn', summary: 'a probe cannot run here' },
  'probe.link.target': { level: 'debug', summary: 'what the link probe watches' },
  'child.port-busy': { level: 'warn', summary: "before a start, a process still listens on the bot's port: the start waits" },
  'child.port-free': { level: 'info', summary: "the bot's port was let go: the start goes on" },
  'child.port-timeout': { level: 'warn', summary: "the bot's port is still held after stop.timeout: the bot starts anyway" },
  'ws.lost': { level: 'warn', summary: 'the backend link ended' },
  'ws.reset': { level: 'warn', summary: 'the watchdog closed its own backend link (a frame it does not take): renewed quietly' },
  'ws.up': { level: 'debug', summary: 'the backend link opened' },
  'ws.retry': { level: 'debug', summary: 'a link attempt failed; the next delay' },
  'ws.heartbeat': { level: 'debug', summary: 'the heartbeat interval a OneBot server announced' },
  'config.ignored': { level: 'warn', summary: 'a setting that does not apply' },
  'monitor.error': { level: 'warn', summary: 'a plug-in failed; supervision goes on' },
  'orphan.found': { level: 'warn', summary: 'the bot of a killed watchdog still runs' },
  'orphan.stopped': { level: 'info', summary: 'that bot tree was stopped' },
  'orphan.survivors': { level: 'error', summary: 'that bot tree could not be stopped' },
  'orphan.unverifiable': { level: 'warn', summary: 'no /proc to check the recorded bot' },
  'state.error': { level: 'warn', summary: 'the state file cannot be written' },
  'state.written': { level: 'info', summary: 'the state file is written again' },
  'state.unreadable': { level: 'warn', summary: 'the state file at start is unreadable' },
  'backend.listening': { level: 'info', summary: 'the reverse-WebSocket listener waits for NapCat' },
  'backend.listen-error': { level: 'error', summary: 'the reverse-WebSocket listener cannot listen (retried)' },
  'backend.refused': { level: 'warn', summary: 'a connection to the reverse listener was refused or cut (too many, too slow)' },
  'backend.garbage': { level: 'warn', summary: 'a frame from NapCat that is not OneBot' },
  'backend.restart.run': { level: 'warn', summary: 'backend.restart.command runs' },
  'backend.restart': { level: 'warn', summary: 'backend.restart.command finished' },
  'backend.restart.giveup': { level: 'error', summary: 'backend restarts did not help: it needs a human' },
  'backend.restart.reset': { level: 'info', summary: 'the backend is healthy again: restarts start over' },
  'restart.planned': { level: 'info', summary: 'a due time of restart.schedule' },
  'state.unusable': { level: 'error', summary: 'the state folder cannot be used: the watchdog does not start' },
  'orphan.marker-ignored': { level: 'warn', summary: "the state file's tree marker is not ours: ignored" },
  'log.dropped': { level: 'warn', summary: 'log lines were dropped while stderr did not take them' },
  'status.listening': { level: 'info', summary: 'the status endpoint is up' },
  'status.failed': { level: 'error', summary: 'the status endpoint cannot listen; supervision goes on' },
  'status.error': { level: 'warn', summary: 'the status endpoint failed to answer one request' },
  'status.refused': { level: 'warn', summary: 'the status endpoint refused or cut connections from one source' },
  'watchdog.signal': { level: 'warn', summary: 'a signal the watchdog ignores arrived' },
  'hook.failed': { level: 'warn', summary: 'a hook failed or timed out' },
  'hook.dropped': { level: 'warn', summary: 'hook runs dropped: more events than hooks could keep up with' },
};

export const EVENT_NAMES = Object.keys(EVENTS) as EventName[];

/** One event as subscribers (hooks, the status page) see it: scrubbed of secrets like the log line. */
export type EventRecord = { event: EventName; level: EventLevel; msg: string; time: string } & Record<string, unknown>;

export type EventListener = (record: EventRecord) => void;

/**
 * The watchdog's log: every line is an event of the catalogue, with its level. Subscribers get
 * each event too (after the log line is written); a subscriber that throws is dropped from that
 * event, never from supervision.
 */
export class EventLog {
  private readonly listeners = new Set<EventListener>();

  constructor(
    /** The pino logger lines go to (it scrubs secrets in its formatters). */
    readonly pino: Logger,
    /** Scrubs secrets from what subscribers get. */
    private readonly redact: (value: unknown) => unknown = (value) => value,
    private readonly wallNow: () => number = Date.now,
  ) {}

  emit<E extends EventName>(event: E, fields: EventFields[E], message: string): void {
    const { level } = EVENTS[event];
    // The event name first, as people read it; evidence spread into the fields never renames it.
    const { event: _forged, ...rest } = fields as Record<string, unknown>;
    (this.pino[level] as (obj: object, msg: string) => void)({ event, ...rest }, message);
    if (this.listeners.size === 0) return;
    const record = this.redact({ event, ...rest, level, msg: message, time: new Date(this.wallNow()).toISOString() }) as EventRecord;
    for (const listener of [...this.listeners]) {
      try {
        listener(record);
      } catch {
        // A subscriber's bug must not reach the code that logged.
      }
    }
  }

  /** Subscribes to every event; returns the function that unsubscribes. */
  on(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  isLevelEnabled(level: EventLevel): boolean {
    return this.pino.isLevelEnabled(level);
  }
}
