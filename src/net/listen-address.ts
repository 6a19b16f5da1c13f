// Host:port spellings, one parser per concept:
// - an address the watchdog listens on (status.listen, backend.listen): ListenAddress;
// - the port the BOT listens on (probes.link.listen): BotListenSpec;
// - a host:port target, formatted for people and logs: formatHostPort.
import { isIP } from 'node:net';
import { canonicalIp, isUnspecified } from './ip.js';

/** An address the watchdog listens on (or has bound). */
export interface ListenAddress {
  host: string;
  port: number;
}

/** `status.listen`, parsed: a ListenAddress and whether only this machine can connect (127.0.0.0/8, ::1, localhost). */
export interface ParsedListenAddress extends ListenAddress {
  loopback: boolean;
}

/** Where a bare port listens (status.listen, backend.listen). */
export const DEFAULT_LISTEN_HOST = '127.0.0.1';

/** "host:port" for people and logs; an IPv6 address in brackets: "[::1]:8080". */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Parses an address the watchdog listens on (`status.listen`): `"127.0.0.1:9465"`, `"[::1]:9465"`,
 * `"0.0.0.0:9465"`, `"localhost:9465"`, or a port alone (`9465` or `"9465"`, which listens on
 * 127.0.0.1). Port 0 picks a free port (the `status.listening` event names it). Returns a one-line
 * problem instead of throwing.
 */
export function parseListenAddress(value: string | number): ParsedListenAddress | { problem: string } {
  const expected = 'expected "host:port" (e.g. "127.0.0.1:9465") or a port number';
  let host: string;
  let portText: string;
  if (typeof value === 'number') {
    host = DEFAULT_LISTEN_HOST;
    portText = String(value);
  } else if (/^\d+$/.test(value.trim())) {
    host = DEFAULT_LISTEN_HOST;
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

/**
 * `backend.listen` (where NapCat's reverse WebSocket reaches the watchdog): parsed as `status.listen`
 * is, without port 0 (NapCat must be told the port). Undefined when it does not parse.
 */
export function parseBackendListen(value: string | number): ListenAddress | undefined {
  const parsed = parseListenAddress(value);
  if ('problem' in parsed || parsed.port === 0) return undefined;
  return { host: parsed.host, port: parsed.port };
}

export function formatListenAddress(address: ListenAddress): string {
  return formatHostPort(address.host, address.port);
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

/** probes.link.listen: the port (or "host:port") the BOT listens on, e.g. for NapCat's reverse WebSocket. */
export interface BotListenSpec {
  /** Canonical IP the bot binds, "loopback" for localhost; undefined: any address. */
  host: string | undefined;
  port: number;
}

const BOT_LISTEN_EXPECTED = 'expected a port (1-65535) or "host:port" with an IP address or localhost, e.g. 2280 or "127.0.0.1:2280"';

/** Parses a port number, "2280", ":2280", "host:2280" or "[v6]:2280"; a string is the error message. */
export function parseBotListen(value: string | number): BotListenSpec | string {
  if (typeof value === 'number') return validBotPort(value) ? { host: undefined, port: value } : BOT_LISTEN_EXPECTED;
  const text = value.trim();
  const match = /^(?:(?:\[([^\]]+)\]|([^:\s[\]]*)):)?(\d{1,5})$/.exec(text);
  if (!match) return BOT_LISTEN_EXPECTED;
  const port = Number(match[3]);
  if (!validBotPort(port)) return BOT_LISTEN_EXPECTED;
  const rawHost = match[1] ?? match[2];
  if (rawHost === undefined || rawHost === '' || rawHost === '*') return { host: undefined, port };
  if (/^localhost\.?$/i.test(rawHost)) return { host: 'loopback', port };
  const ip = canonicalIp(rawHost);
  if (ip === undefined) return BOT_LISTEN_EXPECTED;
  return { host: isUnspecified(ip) ? undefined : ip, port };
}

function validBotPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535;
}

/** ":2280" (any address), "127.0.0.1:2280", "[::1]:2280", "localhost:2280". */
export function formatBotListen(spec: BotListenSpec): string {
  if (spec.host === undefined) return `:${spec.port}`;
  if (spec.host === 'loopback') return `localhost:${spec.port}`;
  return formatHostPort(spec.host, spec.port);
}
