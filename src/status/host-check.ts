import { isIP } from 'node:net';
import { isLoopbackHost, type ParsedListenAddress } from '../net/listen-address.js';

/**
 * DNS rebinding: a web page the operator visits may make its own name resolve to 127.0.0.1 and
 * read a loopback endpoint that has no token. The browser still sends that name in `Host`, so
 * without a token only names that cannot be rebound are served: loopback addresses and
 * `localhost` (any port), and the configured listen address. With a token the check is not needed
 * (a page cannot know the token), and is not made: a proxy or Kubernetes may send any Host.
 * A request without a Host (HTTP/1.0; Node refuses HTTP/1.1 without one) comes from no browser.
 */
export function createHostCheck(listen: ParsedListenAddress, token: string | undefined): (host: string | undefined) => boolean {
  if (token !== undefined) return () => true;
  const configured = listen.host.toLowerCase();
  return (host) => {
    if (host === undefined) return true;
    const name = hostName(host);
    if (name === undefined) return false;
    return name === configured || isLoopbackHost(name) || name === 'localhost.';
  };
}

/** The host part of a Host header (`name`, `name:port`, `[v6]`, `[v6]:port`), lower case; undefined if malformed. */
function hostName(header: string): string | undefined {
  const value = header.trim().toLowerCase();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(value);
  if (bracketed) return isIP(bracketed[1] as string) === 6 ? (bracketed[1] as string) : undefined;
  const plain = /^([^:[\]\s]+)(?::\d{1,5})?$/.exec(value);
  return plain ? (plain[1] as string) : undefined;
}
