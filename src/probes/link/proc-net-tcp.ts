// Parser for /proc/<pid>/net/tcp and tcp6 (proc(5)):
//   sl  local_address rem_address   st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
//    0: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000 1000 0 123456 ...
// Addresses are hex dumps of the kernel's in-memory words: IPv4 is one 32-bit word and IPv6 four,
// each in HOST byte order (so 127.0.0.1 reads "0100007F" on little-endian machines); ports are
// plain hex numbers.
import { endianness } from 'node:os';
import { canonicalFromBytes16, canonicalFromBytes4 } from '../../net/ip.js';

/** TCP states as the kernel numbers them (include/net/tcp_states.h). */
export const TCP_ESTABLISHED = 0x01;
export const TCP_LISTEN = 0x0a;

export interface TcpSocket {
  /** Canonical IP (see ip.ts): IPv4-mapped IPv6 addresses come out as IPv4. */
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  state: number;
  inode: number;
  /** Bytes sent and not yet acknowledged by the peer. */
  txQueue: number;
  /** Bytes received and not yet read by the process (what a reader that stopped leaves behind). */
  rxQueue: number;
}

export interface ParseOptions {
  /** Byte order of the words in the dump; default: this machine's. */
  littleEndian?: boolean;
  /** Only sockets in this state (e.g. TCP_ESTABLISHED). */
  state?: number;
  /** Only sockets with one of these inodes. Lines are filtered before any address is decoded. */
  inodes?: ReadonlySet<number>;
}

const HOST_LITTLE_ENDIAN = endianness() === 'LE';

/** Decodes one hex address field: 8 hex digits (IPv4) or 32 (IPv6). Undefined when malformed. */
export function decodeHexAddress(hex: string, littleEndian = HOST_LITTLE_ENDIAN): string | undefined {
  if (!/^(?:[0-9A-Fa-f]{8}|[0-9A-Fa-f]{32})$/.test(hex)) return undefined;
  const bytes = new Uint8Array(hex.length / 2);
  for (let word = 0; word < hex.length / 8; word++) {
    for (let i = 0; i < 4; i++) {
      // On a little-endian host the first byte printed is the word's least significant one, which
      // is the LAST byte of the address in network order within that word.
      const source = littleEndian ? 3 - i : i;
      bytes[word * 4 + i] = parseInt(hex.slice(word * 8 + source * 2, word * 8 + source * 2 + 2), 16);
    }
  }
  return bytes.length === 4 ? canonicalFromBytes4(bytes) : canonicalFromBytes16(bytes);
}

/** Parses the whole text of /proc/net/tcp or tcp6. Malformed lines are skipped. */
export function parseProcNetTcp(text: string, options: ParseOptions = {}): TcpSocket[] {
  const littleEndian = options.littleEndian ?? HOST_LITTLE_ENDIAN;
  const out: TcpSocket[] = [];
  let start = text.indexOf('\n') + 1; // the header line
  while (start > 0 && start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end);
    start = end + 1;
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10) continue;
    const state = parseInt(fields[3] as string, 16);
    if (options.state !== undefined && state !== options.state) continue;
    const inode = Number(fields[9]);
    if (!Number.isSafeInteger(inode)) continue;
    if (options.inodes && !options.inodes.has(inode)) continue;
    const local = splitEndpoint(fields[1] as string, littleEndian);
    const remote = splitEndpoint(fields[2] as string, littleEndian);
    if (!local || !remote || Number.isNaN(state)) continue;
    const queues = /^([0-9A-Fa-f]{1,8}):([0-9A-Fa-f]{1,8})$/.exec(fields[4] as string);
    out.push({
      localAddress: local.address,
      localPort: local.port,
      remoteAddress: remote.address,
      remotePort: remote.port,
      state,
      inode,
      txQueue: queues ? parseInt(queues[1] as string, 16) : 0,
      rxQueue: queues ? parseInt(queues[2] as string, 16) : 0,
    });
  }
  return out;
}

function splitEndpoint(field: string, littleEndian: boolean): { address: string; port: number } | undefined {
  const colon = field.indexOf(':');
  if (colon < 0) return undefined;
  const address = decodeHexAddress(field.slice(0, colon), littleEndian);
  const port = parseInt(field.slice(colon + 1), 16);
  if (address === undefined || !Number.isInteger(port) || port < 0 || port > 65535) return undefined;
  return { address, port };
}
