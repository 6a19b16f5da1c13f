/**
 * Socket and HTTP errors in words a person reading the log understands. Messages of errors can
 * carry the URL (and with it a `?verifyKey=`); these reasons are built from codes, never from
 * the URL.
 */
const BY_CODE: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed while sending',
  ETIMEDOUT: 'connect timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EHOSTDOWN: 'host down',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed (EAI_AGAIN)',
  EADDRNOTAVAIL: 'address not available',
  ECONNABORTED: 'connection aborted',
  UND_ERR_SOCKET: 'connection closed',
  HPE_INVALID_CONSTANT: 'the answer is not HTTP',
  HPE_INVALID_VERSION: 'the answer is not HTTP',
  HPE_INVALID_STATUS: 'the answer is not HTTP',
  HPE_INVALID_HEADER_TOKEN: 'invalid HTTP header in the answer',
  HPE_HEADER_OVERFLOW: 'HTTP headers of the answer too large',
  ERR_INVALID_URL: 'invalid URL',
  WS_ERR_INVALID_CLOSE_CODE: 'invalid WebSocket close code from the server',
  WS_ERR_UNEXPECTED_RSV_1: 'invalid WebSocket frame from the server',
  WS_ERR_INVALID_OPCODE: 'invalid WebSocket frame from the server',
  WS_ERR_INVALID_UTF8: 'invalid UTF-8 in a WebSocket frame',
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: 'WebSocket frame too large',
};

/** Why a network operation failed, from its error: "connection refused", "host not found"… */
export function errorReason(error: unknown): string {
  const err = error as { code?: unknown; name?: unknown; message?: unknown } | null | undefined;
  const code = typeof err?.code === 'string' ? err.code : undefined;
  if (code && BY_CODE[code]) return BY_CODE[code];
  if (err?.name === 'AbortError') return 'aborted';
  const message = typeof err?.message === 'string' ? err.message : String(error);
  if (/socket hang up/i.test(message)) return 'connection closed without an answer';
  if (code) return `network error (${code})`;
  // Strip anything URL-like: it may carry credentials in its query.
  return message.replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, '<url>').slice(0, 120) || 'network error';
}
