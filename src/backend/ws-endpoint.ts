import { joinUrl } from '../probes/http-request.js';

/**
 * The WebSocket endpoint of a backend.
 * - With `wsUrl`: used as given when it has a path ("ws://h:6700/event"), else `defaultPath` is
 *   appended ("ws://h:6700" → "ws://h:6700/event").
 * - Without: derived from the HTTP `url` — http → ws, https → wss, same host and port, the same
 *   path prefix (a backend behind a reverse proxy), plus `defaultPath`.
 * mirai-api-http and go-cqhttp serve HTTP and WebSocket on one port by default; set `wsUrl` when
 * yours does not (OneBot's spec ports: HTTP 5700, WebSocket 6700).
 */
export function wsEndpoint(url: string, wsUrl: string | undefined, defaultPath: string): URL {
  if (wsUrl !== undefined) {
    const given = new URL(wsUrl);
    return given.pathname === '/' || given.pathname === '' ? joinUrl(given, defaultPath) : given;
  }
  const http = new URL(url);
  http.protocol = http.protocol === 'https:' ? 'wss:' : 'ws:';
  return joinUrl(http, defaultPath);
}
