import { PassThrough } from 'node:stream';
import { HealthSink } from '../../src/health/health-sink.js';
import type { ProbeRule } from '../../src/health/probe-rules.js';
import { Supervisor, type SupervisorOptions } from '../../src/supervisor/supervisor.js';
import type { BackendGate, ChildExit, ChildHandle, KillTreeRequest, Plugin, SpawnSpec } from '../../src/supervisor/types.js';
import { FakeClock, flush } from '../helpers/fake-clock.js';
import { memoryLogger } from '../helpers/log-sink.js';

/** A bot that exists only in memory: the test decides when and how it exits. */
export class FakeChild implements ChildHandle {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly exited: Promise<ChildExit>;
  private settle!: (exit: ChildExit) => void;
  alive = true;

  constructor(
    readonly pid: number | undefined,
    readonly spec: SpawnSpec,
  ) {
    this.exited = new Promise((resolve) => (this.settle = resolve));
  }

  exit(code: number | null, signal: NodeJS.Signals | null = null, error?: ChildExit['error']): void {
    if (!this.alive) return;
    this.alive = false;
    this.settle(error ? { code, signal, error } : { code, signal });
  }
}

export const baseOptions = (overrides: Partial<SupervisorOptions> = {}): SupervisorOptions => ({
  command: ['bot'],
  cwd: '/',
  env: {},
  restart: {
    policy: 'always',
    initialDelay: 1000,
    maxDelay: 10_000,
    factor: 2,
    jitter: 0,
    resetAfter: 60_000,
    limit: { count: 0, window: 1_800_000 },
    ...(overrides.restart ?? {}),
  },
  stop: { signal: 'SIGTERM', timeout: 5000, ...(overrides.stop ?? {}) },
  startup: { waitForBackend: true, timeout: 0, ...(overrides.startup ?? {}) },
  ...(overrides.command ? { command: overrides.command } : {}),
});

/** A backend gate the test opens and closes. */
export class FakeGate implements BackendGate {
  private ready: boolean;
  private waiters: (() => void)[] = [];
  waits = 0;

  constructor(ready = true) {
    this.ready = ready;
  }

  isReady(): boolean {
    return this.ready;
  }

  set(ready: boolean): void {
    this.ready = ready;
    if (ready) for (const wake of this.waiters.splice(0)) wake();
  }

  waitUntilReady(signal: AbortSignal): Promise<void> {
    this.waits += 1;
    if (this.ready) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }
}

/** A supervisor wired to fakes: spawns FakeChild, kills by making the child exit with the signal. */
export function harness(
  options: SupervisorOptions,
  extra: {
    gate?: FakeGate;
    spawnError?: string;
    killIgnores?: boolean;
    plugins?: Plugin[];
    /** killTree waits for this before it resolves */
    killHold?: Promise<void>;
    clock?: FakeClock;
    startupGrace?: number;
    /** The health sink's rules (the composition root sets them from the config). */
    rules?: Record<string, ProbeRule>;
    beforeSpawn?: (signal: AbortSignal) => Promise<unknown>;
  } = {},
) {
  const clock = extra.clock ?? new FakeClock();
  const log = memoryLogger();
  const health = new HealthSink({ log: log.logger, clock, startupGrace: extra.startupGrace ?? 0, ...(extra.rules ? { rules: extra.rules } : {}) });
  const children: FakeChild[] = [];
  const kills: { pid: number; request: KillTreeRequest }[] = [];
  let nextPid = 100;
  const supervisor = new Supervisor(options, {
    spawn: (spec) => {
      const child = new FakeChild(extra.spawnError ? undefined : nextPid++, spec);
      if (extra.spawnError) child.exit(null, null, { code: extra.spawnError, message: `spawn bot ${extra.spawnError}` });
      children.push(child);
      return child;
    },
    killTree: async (root, request) => {
      kills.push({ pid: root.pid, request });
      const child = children.find((c) => c.pid === root.pid);
      if (child?.alive && !extra.killIgnores) {
        request.onSignal?.([root.pid], request.signal);
        child.exit(null, request.signal);
      }
      await extra.killHold;
      return { pids: [root.pid], forced: false, survivors: [] };
    },
    clock,
    logger: log.logger,
    health,
    random: () => 0.5,
    newMarker: () => ({ name: 'BOT_WATCHDOG_TREE', value: 'test' }),
    ...(extra.gate ? { gate: extra.gate } : {}),
    ...(extra.beforeSpawn ? { beforeSpawn: extra.beforeSpawn } : {}),
    ...(extra.plugins ? { plugins: extra.plugins } : {}),
  });
  let exitCode: number | undefined;
  const done = supervisor.run().then((code) => (exitCode = code));
  const last = () => children[children.length - 1] as FakeChild;
  return {
    supervisor,
    health,
    clock,
    log,
    children,
    kills,
    done,
    last,
    exitCode: () => exitCode,
    /** Makes the running child exit and lets the supervisor react. */
    async crash(code: number | null, signal: NodeJS.Signals | null = null) {
      last().exit(code, signal);
      await flush();
    },
    flush,
  };
}
