/** "host:port" for people and logs; an IPv6 address in brackets: "[::1]:8080". */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
