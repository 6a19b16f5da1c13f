import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Fault, SimpleFault } from '../../test/helpers/fake-backend.js';

const SCRIPT = fileURLToPath(new URL('./fake-backend-process.ts', import.meta.url));

/** A fake Mirai or OneBot running in a child process: faults over IPC, and a real SIGKILL. */
export class FakeBackendProcess {
  private nextId = 1;
  private readonly pending = new Map<number, (reply: Record<string, unknown>) => void>();

  private constructor(
    private readonly child: ChildProcess,
    readonly kind: 'mirai' | 'onebot',
    readonly port: number,
    private readonly options: Record<string, unknown>,
  ) {
    child.on('message', (message: Record<string, unknown>) => {
      const id = message['id'];
      if (typeof id === 'number') {
        this.pending.get(id)?.(message);
        this.pending.delete(id);
      }
    });
  }

  static start(kind: 'mirai' | 'onebot', options: Record<string, unknown> = {}, port = 0): Promise<FakeBackendProcess> {
    const child = fork(SCRIPT, [kind, String(port), JSON.stringify(options)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`the fake backend exited (${code}) before it was ready`)));
      child.once('message', (message: { ready?: boolean; port?: number }) => {
        if (message.ready && message.port) resolve(new FakeBackendProcess(child, kind, message.port, options));
      });
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Applies a fault; resolves with the time (Date.now() in the fake) it took effect. */
  async fault(fault: Fault | SimpleFault | null): Promise<number> {
    return Number((await this.call({ op: 'fault', fault }))['at']);
  }

  async dropConnections(): Promise<number> {
    return Number((await this.call({ op: 'dropConnections' }))['at']);
  }

  async connections(): Promise<string[]> {
    return (await this.call({ op: 'connections' }))['connections'] as string[];
  }

  /** SIGKILL: the kernel closes its sockets, as when a Mirai JVM crashes. Resolves with the kill time. */
  async kill(): Promise<number> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    const at = Date.now();
    this.child.kill('SIGKILL');
    await exited;
    return at;
  }

  /** A fresh fake on the same port (after kill). */
  restart(): Promise<FakeBackendProcess> {
    return FakeBackendProcess.start(this.kind, this.options, this.port);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.disconnect();
    await exited;
  }

  private call(command: Record<string, unknown>): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.child.send({ ...command, id });
    });
  }
}
