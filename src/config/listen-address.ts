import { isIP } from 'node:net';

/** Where the status endpoint listens: `status.listen`, parsed. */
export interface ListenAddress {
  host: string;
  port: number;
  /** Only this machine can connect (127.0.0.0/8, ::1, localhost). */
  loopback: boolean;
}

export const DEFAULT_STATUS_HOST = '127.0.0.1';

/**
 * Parses `status.listen`: `"127.0.0.1:9465"`, `"[::1]:9465"`, `"0.0.0.0:9465"`, `"localhost:9465"`,
 * or a port alone (`9465` or `"9465"`, which listens on 127.0.0.1). Port 0 picks a free port (the
 * `status.listening` event names it). Returns a one-line problem instead of throwing.
 */
export function parseListenAddress(value: string | number): ListenAddress | { problem: string } {
  const expected = 'expected "host:port" (e.g. "127.0.0.1:9465") or a port number';
  let host: string;
  let portText: string;
  if (typeof value === 'number') {
    host = DEFAULT_STATUS_HOST;
    portText = String(value);
  } else if (/^\d+$/.test(value.trim())) {
    host = DEFAULT_STATUS_HOST;
    portText = value.trim();
  } else {
    const match = /^(?:\[([^\]]+)\]|([^:[\]\s]+)):(\d+)$/.exec(value.trim());
    if (!match) return { problem: expected };
    host = (match[1] ?? match[2]) as string;
    portText = match[3] as string;
    if (match[1] !== undefined && isIP(host) !== 6) return { problem: `expected an IPv6 address inside [ ], got "${host}"` };
  }
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) return { problem: 'expected a port from 0 to 65535' };
  return { host, port, loopback: isLoopbackHost(host) };
}

/** 127.0.0.0/8, ::1 (also as ::ffff:127.x.y.z) and the name localhost. Anything else may be reachable from elsewhere. */
export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase();
  if (name === 'localhost') return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  if (isIP(name) === 6) {
    if (name === '::1' || name === '0:0:0:0:0:0:0:1') return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(name);
    return mapped !== null && (mapped[1] as string).startsWith('127.');
  }
  return false;
}
