// IP address spellings, reduced to one canonical form so "127.0.0.1", "::ffff:127.0.0.1" and
// "::FFFF:7f00:1" compare equal. IPv4 stays dotted; IPv4-mapped IPv6 becomes its IPv4; other IPv6
// is lower-case, without leading zeros, with the longest run of zero groups compressed (RFC 5952).
import { isIPv4, isIPv6 } from 'node:net';

/** The canonical form of an IP literal (brackets and a zone id allowed), or undefined if it is not one. */
export function canonicalIp(text: string): string | undefined {
  const bare = text.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  if (isIPv4(bare)) return bare;
  if (!isIPv6(bare)) return undefined;
  return canonicalFromGroups(ipv6Groups(bare));
}

/** Canonical form of an address given as 16 bytes in network order. */
export function canonicalFromBytes16(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] as number) << 8) | (bytes[i + 1] as number));
  return canonicalFromGroups(groups);
}

/** Canonical form of an address given as 4 bytes in network order. */
export function canonicalFromBytes4(bytes: Uint8Array): string {
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
}

export function isLoopback(canonical: string): boolean {
  return canonical.startsWith('127.') || canonical === '::1';
}

export function isUnspecified(canonical: string): boolean {
  return canonical === '0.0.0.0' || canonical === '::';
}

/** Eight 16-bit groups of a valid IPv6 literal (an embedded dotted IPv4 tail included). */
function ipv6Groups(text: string): number[] {
  let tail: number[] = [];
  let head = text;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = (dotted[1] as string).split('.').map(Number) as [number, number, number, number];
    tail = [(a << 8) | b, (c << 8) | d];
    head = text.slice(0, dotted.index);
    // "::ffff:" → "::ffff" and "1:2:3:4:5:6:" → "1:2:3:4:5:6", but "::" stays "::".
    if (!head.endsWith('::')) head = head.slice(0, -1);
  }
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const want = 8 - tail.length;
  let groups: number[];
  const gap = head.indexOf('::');
  if (gap >= 0) {
    const left = parse(head.slice(0, gap));
    const right = parse(head.slice(gap + 2));
    groups = [...left, ...new Array<number>(want - left.length - right.length).fill(0), ...right];
  } else {
    groups = parse(head);
  }
  return [...groups, ...tail];
}

function canonicalFromGroups(groups: number[]): string {
  // ::ffff:a.b.c.d (IPv4-mapped) is the IPv4 address: that is what a dual-stack socket reports.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const hi = groups[6] as number;
    const lo = groups[7] as number;
    return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  }
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength && j - i >= 2) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  const left = hex.slice(0, bestStart).join(':');
  const right = hex.slice(bestStart + bestLength).join(':');
  return `${left}::${right}`;
}
