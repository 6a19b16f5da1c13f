// Where the bot's link should go, and which remote addresses count as "the backend".
import { lookup as dnsLookup } from 'node:dns/promises';
import { networkInterfaces } from 'node:os';
import { formatHostPort } from '../../net/listen-address.js';
import { canonicalIp, isLoopback, isUnspecified } from '../../net/ip.js';

export interface LinkTarget {
  host: string;
  port: number;
  /** The config key it came from, for messages: "probes.link.target", "backend.url", "backend.wsUrl". */
  from: string;
}

/** Config fields the target is derived from. */
export interface LinkTargetConfig {
  backend: { kind: string; url?: string | undefined; wsUrl?: string | undefined };
  probes: { link?: { target?: string | undefined; listen?: string | number | undefined } | undefined };
}

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443, 'ws:': 80, 'wss:': 443 };

/** "host:port", "[v6]:port" → host (without brackets) and port; undefined when malformed. */
export function parseHostPort(text: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(text.trim());
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: (match[1] ?? match[2]) as string, port };
}

/** A URL's host and port (http(s)/ws(s) default ports; tcp:// needs its port). */
export function hostPortOfUrl(url: string): { host: string; port: number } | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const port = parsed.port ? Number(parsed.port) : DEFAULT_PORTS[parsed.protocol];
  if (!parsed.hostname || port === undefined) return undefined;
  return { host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'), port };
}

/**
 * The link probe's dialled targets: `probes.link.target` when set, else the backend's `url` (and
 * `wsUrl` when it names another host:port: a bot may use either). None when only
 * `probes.link.listen` is set: the backend connects to the bot, not the other way round.
 */
export function linkTargets(config: LinkTargetConfig): LinkTarget[] {
  const explicit = config.probes.link?.target;
  if (explicit) {
    const parsed = parseHostPort(explicit);
    return parsed ? [{ ...parsed, from: 'probes.link.target' }] : [];
  }
  if (config.backend.kind === 'none' || config.probes.link?.listen !== undefined) return [];
  const out: LinkTarget[] = [];
  for (const [from, url] of [['backend.url', config.backend.url], ['backend.wsUrl', config.backend.wsUrl]] as const) {
    const parsed = url ? hostPortOfUrl(url) : undefined;
    if (parsed && !out.some((t) => t.host === parsed.host && t.port === parsed.port)) out.push({ ...parsed, from });
  }
  return out;
}

export function formatTarget(target: { host: string; port: number }): string {
  return formatHostPort(target.host, target.port);
}

/** Resolves a name to its addresses (any spelling; canonicalized by the caller). */
export type Lookup = (host: string) => Promise<string[]>;

export const systemLookup: Lookup = async (host) => (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address);

/** This machine's own addresses, canonical. */
export function localAddresses(): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) {
      const ip = canonicalIp(info.address);
      if (ip) out.add(ip);
    }
  }
  return out;
}

interface ResolvedTarget extends LinkTarget {
  addresses: Set<string>;
  /** A literal IP needs no lookup. */
  literal: boolean;
  /** On this machine: any local address on the port reaches it (a server bound to 0.0.0.0 or ::). */
  local: boolean;
  /** The last lookup problem, if it has no address at all. */
  problem?: string;
}

export interface MatcherOptions {
  lookup?: Lookup;
  /** This machine's addresses (default: from os.networkInterfaces()). */
  local?: () => Set<string>;
  /** A lookup that takes longer is given up (the last addresses stay). Default 2000 ms. */
  lookupTimeoutMs?: number;
}

/**
 * Decides whether a remote address:port is the backend. Rules:
 * - an IP literal matches itself, IPv4 and its IPv4-mapped IPv6 spelling alike;
 * - a name matches every address it resolves to (dns.lookup, all: true), accumulated over
 *   re-resolutions, since a container backend may come back with a new address;
 * - "localhost" is loopback even if the resolver says otherwise;
 * - a target on this machine (loopback, 0.0.0.0/::, or one of its interface addresses) matches
 *   any loopback or local address on that port: 127.0.0.1, ::1, ::ffff:127.0.0.1 and the LAN
 *   address all reach a server listening on 0.0.0.0 or ::.
 */
export class TargetMatcher {
  private local: Set<string>;

  private constructor(
    private readonly targets: ResolvedTarget[],
    private readonly options: MatcherOptions,
  ) {
    this.local = (options.local ?? localAddresses)();
  }

  static async resolve(targets: LinkTarget[], options: MatcherOptions = {}): Promise<TargetMatcher> {
    const resolved: ResolvedTarget[] = targets.map((target) => {
      const ip = canonicalIp(target.host);
      const addresses = new Set<string>(ip ? [ip] : []);
      if (/^localhost\.?$|\.localhost\.?$/i.test(target.host)) {
        addresses.add('127.0.0.1');
        addresses.add('::1');
      }
      return { ...target, addresses, literal: ip !== undefined, local: false };
    });
    const matcher = new TargetMatcher(resolved, options);
    await matcher.refresh();
    return matcher;
  }

  /** Number of targets. */
  get size(): number {
    return this.targets.length;
  }

  /** Whether any target is a name (worth looking up again when the link seems gone). */
  get hasNames(): boolean {
    return this.targets.some((t) => !t.literal);
  }

  /** Looks the names up again (adding new addresses) and re-reads this machine's addresses. */
  async refresh(): Promise<void> {
    this.local = (this.options.local ?? localAddresses)();
    const lookup = this.options.lookup ?? systemLookup;
    const timeoutMs = this.options.lookupTimeoutMs ?? 2000;
    await Promise.all(
      this.targets.map(async (target) => {
        if (!target.literal) {
          try {
            for (const address of await withTimeout(lookup(target.host), timeoutMs)) {
              const ip = canonicalIp(address);
              if (ip) target.addresses.add(ip);
            }
            delete target.problem;
          } catch (error) {
            target.problem = `cannot resolve "${target.host}" (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
          }
        }
        target.local = [...target.addresses].some((a) => isLoopback(a) || isUnspecified(a) || this.local.has(a));
      }),
    );
  }

  accepts(address: string, port: number): boolean {
    for (const target of this.targets) {
      if (target.port !== port) continue;
      if (target.addresses.has(address)) return true;
      if (target.local && (isLoopback(address) || this.local.has(address))) return true;
    }
    return false;
  }

  /** Targets with no address at all and why (a name that does not resolve). */
  unresolved(): string[] {
    return this.targets.filter((t) => t.addresses.size === 0).map((t) => t.problem ?? `no address for "${t.host}"`);
  }

  /** "127.0.0.1:8080" or "127.0.0.1:8080, mirai:8081". */
  describe(): string {
    return this.targets.map(formatTarget).join(', ');
  }

  /** Every address each target accepts, for the probe.disabled/diagnostic logs. */
  addresses(): Record<string, string[]> {
    return Object.fromEntries(
      this.targets.map((t) => [formatTarget(t), [...t.addresses, ...(t.local ? ['(any local address)'] : [])]]),
    );
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms}ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error as Error);
      },
    );
  });
}
