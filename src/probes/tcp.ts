import net from 'node:net';
import type { Clock } from '../clock/clock.js';
import { formatHostPort } from '../net/listen-address.js';
import { errorReason } from './net-errors.js';
import { stopwatch, type Probe, type ProbeResult } from './probe.js';

/** "tcp://host:port" (as the config validates it) into host and port. */
export function parseTcpUrl(url: string): { host: string; port: number } {
  const match = /^tcp:\/\/(\[[^\]]+\]|[^/:]+):(\d+)\/?$/.exec(url);
  if (!match) throw new Error(`expected "tcp://host:port", got "${url}"`);
  return { host: (match[1] as string).replace(/^\[|\]$/g, ''), port: Number(match[2]) };
}

/** backend.kind "tcp": the port accepts a connection in time. The connection is closed at once. */
export class TcpProbe implements Probe {
  readonly name = 'tcp';
  private readonly host: string;
  private readonly port: number;

  constructor(
    url: string,
    private readonly clock: Clock,
  ) {
    ({ host: this.host, port: this.port } = parseTcpUrl(url));
  }

  check(signal?: AbortSignal): Promise<ProbeResult> {
    const watch = stopwatch(this.clock);
    const target = formatHostPort(this.host, this.port);
    return new Promise((resolve) => {
      let settled = false;
      const finish = (verdict: 'healthy' | 'unhealthy', reason: string) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        socket.destroy();
        resolve(watch.result(this.name, verdict, reason, { target }));
      };
      let socket: net.Socket;
      try {
        socket = net.connect({ host: this.host, port: this.port });
      } catch (error) {
        // e.g. a port above 65535: say so rather than throw. Not "misconfigured": for the start
        // gate that means "the server answers", and nothing answered here.
        return resolve(watch.result(this.name, 'unhealthy', `cannot connect to ${target}: ${(error as Error).message}`, { target }));
      }
      const onAbort = () => finish('unhealthy', `no connection within ${watch.elapsedMs()}ms`);
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      socket.once('connect', () => finish('healthy', `connected to ${target}`));
      socket.once('error', (error) => finish('unhealthy', errorReason(error)));
    });
  }
}
