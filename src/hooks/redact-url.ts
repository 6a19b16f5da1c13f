import { REDACTED } from '../log/redact.js';

/** A path segment that looks like a token (webhook URLs often carry their secret in the path). */
const TOKEN_SEGMENT = /^[A-Za-z0-9_\-.~]{16,}$/;

/**
 * A URL as it may be shown in a log line: user name and password removed, every query value
 * and every token-like path segment (16 or more URL-safe characters) replaced by "[redacted]",
 * fragment dropped. Text that is not a URL is replaced whole.
 */
export function redactUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return REDACTED;
  }
  const auth = url.username !== '' || url.password !== '' ? `${REDACTED}@` : '';
  const path = url.pathname
    .split('/')
    .map((segment) => (TOKEN_SEGMENT.test(segment) ? REDACTED : segment))
    .join('/');
  const query = [...url.searchParams.keys()].map((key) => `${encodeURIComponent(key)}=${REDACTED}`).join('&');
  return `${url.protocol}//${auth}${url.host}${path}${query ? `?${query}` : ''}`;
}
