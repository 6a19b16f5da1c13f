// probes.link.listen: the port (or "host:port") the bot listens on, e.g. for NapCat's reverse
// WebSocket. Connections whose LOCAL end is that port are the bot's listened links.
import { canonicalIp, isLoopback, isUnspecified } from './ip.js';

export interface ListenSpec {
  /** Canonical IP the bot binds, "loopback" for localhost; undefined: any address. */
  host: string | undefined;
  port: number;
}

const LISTEN_EXPECTED = 'expected a port (1-65535) or "host:port" with an IP address or localhost, e.g. 2280 or "127.0.0.1:2280"';

/** Parses a port number, "2280", ":2280", "host:2280" or "[v6]:2280"; a string is the error message. */
export function parseListen(value: string | number): ListenSpec | string {
  if (typeof value === 'number') return validPort(value) ? { host: undefined, port: value } : LISTEN_EXPECTED;
  const text = value.trim();
  const match = /^(?:(?:\[([^\]]+)\]|([^:\s[\]]*)):)?(\d{1,5})$/.exec(text);
  if (!match) return LISTEN_EXPECTED;
  const port = Number(match[3]);
  if (!validPort(port)) return LISTEN_EXPECTED;
  const rawHost = match[1] ?? match[2];
  if (rawHost === undefined || rawHost === '' || rawHost === '*') return { host: undefined, port };
  if (/^localhost\.?$/i.test(rawHost)) return { host: 'loopback', port };
  const ip = canonicalIp(rawHost);
  if (ip === undefined) return LISTEN_EXPECTED;
  return { host: isUnspecified(ip) ? undefined : ip, port };
}

function validPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535;
}

/** ":2280" (any address), "127.0.0.1:2280", "[::1]:2280", "localhost:2280". */
export function formatListen(spec: ListenSpec): string {
  if (spec.host === undefined) return `:${spec.port}`;
  if (spec.host === 'loopback') return `localhost:${spec.port}`;
  return spec.host.includes(':') ? `[${spec.host}]:${spec.port}` : `${spec.host}:${spec.port}`;
}

/** Whether a socket bound or connected at `address` is on the spec's address. */
function addressMatches(spec: ListenSpec, address: string): boolean {
  if (spec.host === undefined) return true;
  if (spec.host === 'loopback') return isLoopback(address);
  return address === spec.host;
}

/** A connection accepted on the listened port: its local end is host:port. */
export function isListenedConnection(spec: ListenSpec, localAddress: string, localPort: number): boolean {
  return localPort === spec.port && addressMatches(spec, localAddress);
}

/**
 * A LISTEN socket that serves host:port: on the port, bound to that address or to all addresses
 * (0.0.0.0 or ::, which also take connections to the specific one).
 */
export function isServingListener(spec: ListenSpec, address: string, port: number): boolean {
  return port === spec.port && (isUnspecified(address) || addressMatches(spec, address));
}

/** Whether two bindings of one port would clash (EADDRINUSE): the same address, or either is all addresses. */
export function bindingsOverlap(spec: ListenSpec, address: string, port: number): boolean {
  return port === spec.port && (spec.host === undefined || isUnspecified(address) || addressMatches(spec, address));
}

/**
 * The ports the bot listens on, from the config (probes.link.listen), for the wait before each
 * start (process/port-holders.ts). Empty when none is set or it does not parse.
 */
export function listenPorts(config: { probes: { link?: { listen?: string | number | undefined } | undefined } }): ListenSpec[] {
  const listen = config.probes.link?.listen;
  if (listen === undefined) return [];
  const spec = parseListen(listen);
  return typeof spec === 'string' ? [] : [spec];
}
