// An attacker's flood of connections that never finish a request or a handshake: `count` TCP
// sockets spread over `sources` loopback addresses (127.0.0.2, 127.0.0.3, …: Linux routes all of
// 127/8 to lo), each sending `drip` (a partial request, one more header line every `dripMs`) or
// nothing at all. A socket the server cuts is opened again at once, so the flood stays "held open".
import { connect, type Socket } from 'node:net';

export interface SocketFloodOptions {
  port: number;
  count: number;
  /** How many source addresses (from 127.0.0.2 on); 1 = all from 127.0.0.1. */
  sources?: number;
  /** The first bytes each socket sends ("" for none), then one header line every dripMs. */
  drip?: { first: string; everyMs: number } | undefined;
}

export class SocketFlood {
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  /** Sockets the server cut (closed or reset) while the flood ran. */
  cut = 0;
  /** Sockets connected at least once. */
  connected = 0;

  constructor(private readonly options: SocketFloodOptions) {}

  /** Opens every socket; resolves once each has connected once (or failed). */
  async start(): Promise<void> {
    const sources = this.options.sources ?? 1;
    const opened: Promise<void>[] = [];
    for (let i = 0; i < this.options.count; i++) {
      const local = sources === 1 ? '127.0.0.1' : `127.0.0.${2 + (i % sources)}`;
      opened.push(this.open(local));
    }
    await Promise.all(opened);
  }

  open(localAddress: string): Promise<void> {
    return new Promise((resolve) => {
      if (this.stopped) return resolve();
      const socket = connect({ host: '127.0.0.1', port: this.options.port, localAddress });
      this.sockets.add(socket);
      let timer: NodeJS.Timeout | undefined;
      socket.on('error', () => {});
      socket.once('connect', () => {
        this.connected++;
        resolve();
        const drip = this.options.drip;
        if (!drip) return;
        socket.write(drip.first);
        let n = 0;
        timer = setInterval(() => socket.write(`X-Drip-${n++}: ${'a'.repeat(8)}\r\n`), drip.everyMs);
        this.timers.add(timer);
      });
      socket.once('close', () => {
        resolve();
        this.sockets.delete(socket);
        if (timer) {
          clearInterval(timer);
          this.timers.delete(timer);
        }
        if (this.stopped) return;
        this.cut++;
        // Held open: a cut socket is replaced (a little later, so a refusing server is not a busy loop).
        const again = setTimeout(() => {
          this.timers.delete(again);
          void this.open(localAddress);
        }, 20);
        this.timers.add(again);
      });
    });
  }

  /** Sockets open right now. */
  openNow(): number {
    return this.sockets.size;
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }
}
