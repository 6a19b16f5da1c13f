import type { EventLog } from '../log/events.js';
import type { HealthSink } from '../health/health-sink.js';
import { EXIT, signalNumber } from '../exit-codes.js';
import { decideAfterRun, type RestartDecision, type RunOutcome } from './restart-decision.js';
import type { FlappingOptions } from './outage-damping.js';
import { stopTimeoutFor, type RestartReason } from './restart-reasons.js';
import { SupervisorEvents } from './supervisor-events.js';
import type {
  BackendGate,
  ChildExit,
  ChildHandle,
  Clock,
  KillTreeFn,
  Plugin,
  RunningChild,
  SpawnSpec,
  StopRequest,
  SupervisorHandle,
  SupervisorState,
  TreeMarker,
  TreeRoot,
} from './types.js';

/** How long the bot's last output may take to pass through after its tree is gone. */
const OUTPUT_DRAIN_MS = 1000;

export interface SupervisorOptions {
  command: [string, ...string[]];
  cwd: string;
  env: Record<string, string>;
  restart: {
    policy: 'always' | 'on-failure' | 'never';
    initialDelay: number;
    maxDelay: number;
    factor: number;
    jitter: number;
    resetAfter: number;
    limit: { count: number; window: number };
    /** restart.flapping: damping of the restarts the backend causes; absent = none. */
    flapping?: FlappingOptions;
  };
  /** `hungTimeout` replaces `timeout` for reasons that mean the bot is hung (restart-reasons.ts). */
  stop: { signal: NodeJS.Signals; timeout: number; hungTimeout?: number };
  startup: { waitForBackend: boolean; timeout: number };
}

export interface SupervisorDeps {
  spawn: (spec: SpawnSpec) => ChildHandle;
  killTree: KillTreeFn;
  clock: Clock;
  logger: EventLog;
  random?: () => number;
  /** Env marker put in the bot's environment so the whole tree can be found, even re-parented daemons. */
  newMarker: () => TreeMarker;
  /** /proc start time of a pid, where available. */
  startTimeOf?: (pid: number) => number | undefined;
  gate?: BackendGate;
  /**
   * Runs before each start, after the backend gate: e.g. waits until no process still listens on
   * the bot's port (no EADDRINUSE crash loop). Resolves early when `signal` aborts (a shutdown).
   */
  beforeSpawn?: (signal: AbortSignal) => Promise<unknown>;
  /** Where probe results go; it is the one that asks this supervisor for restarts. */
  health?: HealthSink;
  plugins?: Plugin[];
}

/** What ended one run of the bot, and the stop that was asked for (with its evidence). */
interface RunEnd extends RunOutcome {
  stop: StopRequest | undefined;
}

/**
 * The state machine: waiting-backend → running → stopping → backoff → … until a shutdown,
 * the restart policy or the restart limit ends it. `run()` resolves with the exit code.
 */
export class Supervisor {
  readonly events = new SupervisorEvents();
  private currentState: SupervisorState = 'starting';
  private child: (RunningChild & { handle: ChildHandle }) | undefined;
  private stopRequest: StopRequest | undefined;
  private wakeStop: (() => void) | undefined;
  private shutdownSignal: NodeJS.Signals | undefined;
  private hangupPending = false;
  /** Aborted to cut a backoff or backend wait short (shutdown, SIGHUP). */
  private interrupt = new AbortController();
  /** Restart times that count toward restart.limit, and the backoff attempt: fed back into each decision. */
  private recentRestarts: number[] = [];
  private attempt = 0;
  /** Outage restarts within restart.flapping's window, fed back like the limit's. */
  private recentOutages: number[] = [];
  private readonly log: EventLog;
  /** What plug-ins get. */
  readonly handle: SupervisorHandle | undefined;

  constructor(
    private readonly options: SupervisorOptions,
    private readonly deps: SupervisorDeps,
  ) {
    this.log = deps.logger;
    const health = deps.health;
    if (health) {
      health.attach(this);
      this.handle = { events: this.events, health: health.port(), current: () => this.current(), state: () => this.state() };
    }
  }

  state(): SupervisorState {
    return this.currentState;
  }

  current(): RunningChild | undefined {
    if (!this.child) return undefined;
    const { handle: _handle, ...child } = this.child;
    return child;
  }

  /** Stops the running bot and starts it again (through the restart decision). Only the health sink calls this. */
  requestRestart(reason: RestartReason, evidence?: Record<string, unknown>): boolean {
    if (this.currentState !== 'running' || this.stopRequest || this.shutdownSignal) return false;
    this.stopRequest = evidence ? { reason, evidence } : { reason };
    this.wakeStop?.();
    return true;
  }

  /**
   * A graceful stop asked by a signal (SIGTERM, SIGINT, SIGQUIT). The tree gets stop.signal for
   * SIGTERM and the same signal otherwise; a second request kills it at once.
   */
  shutdown(signal: NodeJS.Signals): void {
    if (this.shutdownSignal) {
      if (signal === 'SIGINT' || signal === 'SIGTERM') this.forceKill(signal);
      return;
    }
    this.shutdownSignal = signal;
    this.log.emit('watchdog.shutdown',{ signal }, `received ${signal}: stopping the bot`);
    this.interrupt.abort();
    this.wakeStop?.();
  }

  /**
   * SIGHUP: restart the bot now, without backoff. It cuts a backoff short, and a SIGHUP that
   * arrives while the tree is being stopped starts the bot right after. It does not override the
   * backend gate: a bot started while its backend is down could not connect.
   */
  hangup(): void {
    const state = this.currentState;
    if (this.shutdownSignal || (state === 'running' && this.requestRestart('sighup'))) return;
    if (state === 'running' || state === 'stopping' || state === 'backoff') this.hangupPending = true;
    if (state === 'backoff') this.interrupt.abort();
    if (state === 'waiting-backend') this.log.emit('watchdog.sighup', { state }, 'SIGHUP: the bot starts as soon as the backend is ready');
  }

  async run(): Promise<number> {
    const plugins = this.deps.plugins ?? [];
    if (plugins.length > 0 && !this.handle) throw new Error('plug-ins need a health sink');
    for (const plugin of plugins) await plugin.start(this.handle as SupervisorHandle);
    try {
      return await this.loop();
    } finally {
      this.setState('exiting');
      for (const plugin of plugins) {
        try {
          await plugin.stop();
        } catch (error) {
          this.log.emit('monitor.error',{ monitor: plugin.name, err: error }, 'a plug-in failed to stop');
        }
      }
    }
  }

  private async loop(): Promise<number> {
    const { restart, startup } = this.options;
    let waitForBackend = startup.waitForBackend;
    let firstStart = true;
    let everStarted = false;
    /** The last bot's status: what a shutdown exits with once a bot has run (else 128 + signal). */
    let lastStatus: number | undefined;
    const shutdownCode = () => lastStatus ?? 128 + signalNumber(this.shutdownSignal as NodeJS.Signals);

    for (;;) {
      if (this.deps.gate && waitForBackend) {
        const ready = await this.waitForBackend(firstStart ? startup.timeout : 0);
        if (this.shutdownSignal) return this.exitWith(shutdownCode());
        if (!ready) {
          const lastReason = this.deps.gate.lastReason?.();
          this.log.emit(
            'backend.timeout',
            { timeoutMs: startup.timeout, ...(lastReason ? { lastReason } : {}) },
            `the backend was not ready within startup.timeout (${startup.timeout}ms)${lastReason ? `: ${lastReason}` : ''}; giving up`,
          );
          return this.exitWith(EXIT.BACKEND_TIMEOUT);
        }
      }
      if (this.shutdownSignal) return this.exitWith(shutdownCode());
      if (this.deps.beforeSpawn) {
        await this.deps.beforeSpawn(this.freshInterrupt());
        if (this.shutdownSignal) return this.exitWith(shutdownCode());
      }
      this.hangupPending = false;
      firstStart = false;

      const outcome = await this.runOnce();
      const spawnError = outcome.exit.error;
      if (spawnError) {
        this.log.emit(
          'child.error',
          { command: this.options.command, code: spawnError.code, error: spawnError.message },
          `cannot start the bot: ${spawnError.message}`,
        );
      }
      const result = decideAfterRun(outcome, {
        policy: restart.policy,
        shuttingDown: this.shutdownSignal !== undefined,
        hangup: this.hangupPending,
        everStarted,
        backendReady: this.deps.gate?.isReady(),
        waitForBackend: startup.waitForBackend,
        now: this.deps.clock.now(),
        limit: restart.limit,
        recentRestarts: this.recentRestarts,
        backoff: restart,
        attempt: this.attempt,
        random: this.deps.random ?? Math.random,
        ...(restart.flapping ? { flapping: restart.flapping } : {}),
        recentOutages: this.recentOutages,
      });
      everStarted = true;
      lastStatus = result.status;
      this.recentRestarts = result.recentRestarts;
      this.attempt = result.attempt;
      this.recentOutages = result.recentOutages;
      this.hangupPending = false;
      const decision = result.decision;
      if (decision.action === 'exit') return this.exitAfter(decision, result.status);

      const { reason, attempt, delayMs } = decision;
      if (decision.flapping) {
        const { outages, windowMs } = decision.flapping;
        this.log.emit(
          'backend.flapping',
          { reason, outages, windowMs, delayMs },
          `the backend caused ${outages} restarts within ${windowMs}ms: the bot starts again in ${delayMs}ms at the earliest, once the backend is ready (restart.flapping)`,
        );
      }
      this.log.emit(
        'restart.scheduled',
        { reason, attempt, delayMs },
        reason === 'sighup' && delayMs === 0 ? 'restarting the bot now (SIGHUP)' : `restarting the bot in ${delayMs}ms (${reason})`,
      );
      this.events.emit('restart', { reason, attempt, delayMs });
      if (delayMs > 0) {
        this.setState('backoff');
        await this.deps.clock.sleep(delayMs, this.freshInterrupt());
        if (this.shutdownSignal) return this.exitWith(result.status);
        this.hangupPending = false;
      }
      waitForBackend = decision.waitForBackend;
    }
  }

  /** Logs why the watchdog ends here and returns its exit code. */
  private exitAfter(decision: Extract<RestartDecision, { action: 'exit' }>, status: number): number {
    const { restart } = this.options;
    if (decision.why === 'policy') {
      this.log.emit(
        'restart.skipped',
        { reason: decision.reason as RestartReason, policy: restart.policy, status },
        `not restarting (restart.policy is "${restart.policy}")`,
      );
    } else if (decision.why === 'limit') {
      const restarts = decision.restarts ?? 0;
      this.log.emit(
        'restart.giveup',
        { restarts, window: restart.limit.window },
        `giving up: ${restarts} restarts within ${restart.limit.window}ms (restart.limit)`,
      );
      this.events.emit('giveup', { restarts, windowMs: restart.limit.window });
    }
    return this.exitWith(decision.code);
  }

  private async waitForBackend(timeoutMs: number): Promise<boolean> {
    const gate = this.deps.gate as BackendGate;
    if (gate.isReady()) return true;
    this.setState('waiting-backend');
    const done = new AbortController();
    // Ends with the first of: ready, the timeout, an interrupt (shutdown, SIGHUP).
    const signal = AbortSignal.any([this.freshInterrupt(), done.signal]);
    let timedOut = false;
    const waits: Promise<void>[] = [gate.waitUntilReady(signal)];
    if (timeoutMs > 0) waits.push(this.deps.clock.sleep(timeoutMs, signal).then(() => { timedOut = !signal.aborted; }));
    await Promise.race(waits);
    done.abort();
    return !timedOut && gate.isReady();
  }

  private async runOnce(): Promise<RunEnd> {
    this.stopRequest = undefined;
    const marker = this.deps.newMarker();
    const spec: SpawnSpec = {
      command: this.options.command,
      cwd: this.options.cwd,
      env: { ...this.options.env, [marker.name]: marker.value },
    };
    // Recorded (the state file) before the bot can run: a watchdog killed right after the spawn
    // still leaves what finds the new tree.
    this.events.emit('prespawn', marker);
    const spawnedAt = this.deps.clock.now();
    const handle = this.deps.spawn(spec);
    if (handle.pid === undefined) {
      const exit = await handle.exited;
      return { exit, uptimeMs: 0, requested: undefined, stop: undefined };
    }
    const pid = handle.pid;
    const running: RunningChild & { handle: ChildHandle } = {
      pid,
      startTime: this.deps.startTimeOf?.(pid),
      spawnedAt,
      stdout: handle.stdout,
      stderr: handle.stderr,
      marker,
      handle,
    };
    this.child = running;
    this.log.emit('child.spawn',{ pid, command: this.options.command }, `started the bot (pid ${pid})`);
    this.setState('running');
    this.events.emit('spawn', this.current() as RunningChild);

    const stopAsked = new Promise<void>((resolve) => {
      this.wakeStop = resolve;
      if (this.stopRequest || this.shutdownSignal) resolve();
    });
    const first = await Promise.race([handle.exited.then(() => 'exited' as const), stopAsked.then(() => 'stop' as const)]);
    this.wakeStop = undefined;

    const requested = this.stopRequest as StopRequest | undefined;
    if (first === 'stop') {
      const signal = this.stopSignal();
      const stopInfo: StopRequest = requested ?? { reason: 'exited' };
      const killAfterMs = stopTimeoutFor(this.shutdownSignal ? undefined : requested?.reason, this.options.stop);
      this.log.emit(
        'child.stop',
        // Evidence first: a probe's fields never overwrite the stop's own.
        { ...(stopInfo.evidence ?? {}), pid, reason: this.shutdownSignal ? 'shutdown' : stopInfo.reason, signal, killAfterMs },
        `stopping the bot (${this.shutdownSignal ? `shutdown on ${this.shutdownSignal}` : stopInfo.reason})`,
      );
      if (requested) this.events.emit('stop', this.current() as RunningChild, requested);
      this.setState('stopping');
      await this.killTree(running, signal, killAfterMs);
    } else {
      // The bot's main process is gone; what it left behind (daemons, helpers) goes too.
      this.setState('stopping');
      await this.killTree(running, this.options.stop.signal, this.options.stop.timeout);
    }
    const exit = await handle.exited;
    // The tree is gone, so its pipes close at once; let the last lines pass through before we go
    // on (an escaped helper that holds them is not waited for long).
    if (handle.outputClosed) {
      const drained = new AbortController();
      await Promise.race([handle.outputClosed, this.deps.clock.sleep(OUTPUT_DRAIN_MS, drained.signal)]);
      drained.abort();
    }
    const uptimeMs = this.deps.clock.now() - spawnedAt;
    this.log.emit('child.exit',
      { pid, code: exit.code, signal: exit.signal, uptimeMs },
      `the bot exited (${exit.signal ?? `code ${exit.code}`}) after ${uptimeMs}ms`,
    );
    this.events.emit('exit', this.current() as RunningChild, exit, uptimeMs);
    this.child = undefined;
    const stop = this.shutdownSignal ? undefined : requested;
    return { exit, uptimeMs, requested: stop?.reason, stop };
  }

  private stopSignal(): NodeJS.Signals {
    const received = this.shutdownSignal;
    if (received === 'SIGINT' || received === 'SIGQUIT') return received;
    return this.options.stop.signal;
  }

  private readonly logKill = (pids: number[], signal: NodeJS.Signals) => {
    if (pids.length > 0) this.log.emit('child.kill',{ pids, signal }, `sent ${signal} to ${pids.length} process(es)`);
  };

  private treeRoot(child: RunningChild): TreeRoot {
    return { pid: child.pid, ...(child.startTime === undefined ? {} : { startTime: child.startTime }) };
  }

  private async killTree(child: RunningChild, signal: NodeJS.Signals, timeout: number): Promise<void> {
    const { survivors } = await this.deps.killTree(this.treeRoot(child), { signal, timeout, marker: child.marker, onSignal: this.logKill });
    if (survivors.length > 0) {
      this.log.emit('child.survivors',{ pids: survivors }, 'some processes of the bot tree could not be killed');
    }
  }

  /** Second SIGINT/SIGTERM: SIGKILL the whole tree now. */
  private forceKill(signal: NodeJS.Signals): void {
    const child = this.child;
    this.log.emit('watchdog.force',{ signal }, `received ${signal} again: killing the bot tree now`);
    if (!child) return;
    void this.deps.killTree(this.treeRoot(child), { signal: 'SIGKILL', timeout: 0, marker: child.marker, onSignal: this.logKill });
  }

  private freshInterrupt(): AbortSignal {
    if (this.interrupt.signal.aborted && !this.shutdownSignal) this.interrupt = new AbortController();
    return this.interrupt.signal;
  }

  private setState(state: SupervisorState): void {
    if (this.currentState === state) return;
    this.currentState = state;
    this.events.emit('state', state);
  }

  private exitWith(code: number): number {
    this.log.emit('watchdog.exit',{ code }, `exiting with code ${code}`);
    return code;
  }
}
