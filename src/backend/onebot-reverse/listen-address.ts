import { DEFAULT_STATUS_HOST, parseListenAddress } from '../../config/listen-address.js';

/** `backend.listen`: a port, or "host:port" ("[::1]:9466" for IPv6). A bare port listens on 127.0.0.1. */
export interface ListenAddress {
  host: string;
  port: number;
}

export const DEFAULT_LISTEN_HOST = DEFAULT_STATUS_HOST;

/**
 * The address, or undefined when `value` is neither a port (1–65535) nor "host:port". Parsed as
 * `status.listen` is (where the watchdog itself listens), without port 0: NapCat must be told it.
 */
export function parseListen(value: string | number): ListenAddress | undefined {
  const parsed = parseListenAddress(value);
  if ('problem' in parsed || parsed.port === 0) return undefined;
  return { host: parsed.host, port: parsed.port };
}

export function formatListen(address: ListenAddress): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}
