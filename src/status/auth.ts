import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Checks the `Authorization` header against `status.token`: `Bearer <token>` (Prometheus,
 * curl, probes), or `Basic` with the token as the password and any user name (a browser asks for
 * it, then sends it with the dashboard's own requests). Compared in constant time: both sides are
 * hashed first, so neither the content nor the length of the token leaks through timing.
 */
export function createAuthorizer(token: string | undefined): (header: string | undefined) => boolean {
  if (token === undefined) return () => true;
  const expected = digest(token);
  return (header) => {
    const presented = credential(header);
    // Always one comparison, whatever was sent.
    const ok = timingSafeEqual(digest(presented ?? ''), expected);
    return ok && presented !== undefined;
  };
}

function credential(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^\s*(bearer|basic)\s+(\S+)\s*$/i.exec(header);
  if (!match) return undefined;
  const [, scheme, value] = match as unknown as [string, string, string];
  if (scheme.toLowerCase() === 'bearer') return value;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? undefined : decoded.slice(colon + 1);
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
