export const PORT_RANGE = 'a port from 1 to 65535';

/** A TCP port as written in "host:port": digits only, 1 to 65535. */
export function isPort(text: string): boolean {
  return /^\d{1,5}$/.test(text) && Number(text) >= 1 && Number(text) <= 65535;
}

/** Why `text` is not a usable URL of one of these protocols ("port": port 0), or undefined. */
export function urlProblem(text: string, protocols: string[]): 'url' | 'port' | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // An out-of-range or non-numeric port makes the URL itself invalid: say which part is wrong.
    const port = /^[a-z][a-z0-9+.-]*:\/\/(?:[^/?#@]*@)?(?:\[[^\]]*\]|[^/?#:]*):([^/?#]*)/i.exec(text)?.[1];
    return port !== undefined && !isPort(port) ? 'port' : 'url';
  }
  if (!protocols.includes(url.protocol) || url.hostname === '') return 'url';
  return url.port === '0' ? 'port' : undefined;
}
