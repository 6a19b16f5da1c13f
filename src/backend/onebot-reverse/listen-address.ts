/** `backend.listen`: a port, or "host:port" ("[::1]:9466" for IPv6). A bare port listens on 127.0.0.1. */
export interface ListenAddress {
  host: string;
  port: number;
}

export const DEFAULT_LISTEN_HOST = '127.0.0.1';

/** The address, or undefined when `value` is neither a port (1–65535) nor "host:port". */
export function parseListen(value: string | number): ListenAddress | undefined {
  if (typeof value === 'number') return validPort(value) ? { host: DEFAULT_LISTEN_HOST, port: value } : undefined;
  const text = value.trim();
  if (/^\d{1,5}$/.test(text)) return parseListen(Number(text));
  const match = /^(?:\[([^\]\s]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(text);
  if (!match) return undefined;
  const port = Number(match[3]);
  return validPort(port) ? { host: match[1] ?? match[2] ?? DEFAULT_LISTEN_HOST, port } : undefined;
}

export function formatListen(address: ListenAddress): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

function validPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65_535;
}
