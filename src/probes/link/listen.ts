// probes.link.listen (parsed in net/listen-address.ts): the port the bot listens on. Connections
// whose LOCAL end is that port are the bot's listened links.
import { isLoopback, isUnspecified } from '../../net/ip.js';
import { parseBotListen, type BotListenSpec } from '../../net/listen-address.js';

/** Whether a socket bound or connected at `address` is on the spec's address. */
function addressMatches(spec: BotListenSpec, address: string): boolean {
  if (spec.host === undefined) return true;
  if (spec.host === 'loopback') return isLoopback(address);
  return address === spec.host;
}

/** A connection accepted on the listened port: its local end is host:port. */
export function isListenedConnection(spec: BotListenSpec, localAddress: string, localPort: number): boolean {
  return localPort === spec.port && addressMatches(spec, localAddress);
}

/**
 * A LISTEN socket that serves host:port: on the port, bound to that address or to all addresses
 * (0.0.0.0 or ::, which also take connections to the specific one).
 */
export function isServingListener(spec: BotListenSpec, address: string, port: number): boolean {
  return port === spec.port && (isUnspecified(address) || addressMatches(spec, address));
}

/** Whether two bindings of one port would clash (EADDRINUSE): the same address, or either is all addresses. */
export function bindingsOverlap(spec: BotListenSpec, address: string, port: number): boolean {
  return port === spec.port && (spec.host === undefined || isUnspecified(address) || addressMatches(spec, address));
}

/**
 * The ports the bot listens on, from the config (probes.link.listen), for the wait before each
 * start (process/port-holders.ts). Empty when none is set or it does not parse.
 */
export function listenPorts(config: { probes: { link?: { listen?: string | number | undefined } | undefined } }): BotListenSpec[] {
  const listen = config.probes.link?.listen;
  if (listen === undefined) return [];
  const spec = parseBotListen(listen);
  return typeof spec === 'string' ? [] : [spec];
}
