// A WebSocket client for raw-protocol tests: reads frames in order, reports the close and pings.
import { WebSocket } from 'ws';

export interface CloseInfo {
  code: number;
  reason: string;
}

export class WsClient {
  /** Settles when the socket closes, with the code and reason the client saw (1006: no close frame). */
  readonly closed: Promise<CloseInfo>;
  /** Pings received from the server. */
  pingsReceived = 0;
  /** The client's own port (the server's remotePort for this socket). */
  localPort = 0;
  private readonly frames: string[] = [];
  private readonly waiting: Array<(frame: string | CloseInfo) => void> = [];
  private closeInfo: CloseInfo | undefined;

  private constructor(readonly ws: WebSocket) {
    ws.on('error', () => {}); // what matters is reported by 'close'
    ws.on('ping', () => this.pingsReceived++);
    ws.once('upgrade', (res) => (this.localPort = res.socket.localPort ?? 0));
    ws.on('message', (data: Buffer) => this.deliver(data.toString('utf8')));
    this.closed = new Promise((resolve) => {
      ws.on('close', (code: number, reason: Buffer) => {
        this.closeInfo = { code, reason: reason.toString('utf8') };
        for (const wake of this.waiting.splice(0)) wake(this.closeInfo);
        resolve(this.closeInfo);
      });
    });
  }

  /** Resolves once the upgrade completed; rejects with the connection error (e.g. ECONNREFUSED). */
  static open(url: string, headers: Record<string, string> = {}): Promise<WsClient> {
    const client = new WsClient(new WebSocket(url, { headers }));
    return new Promise((resolve, reject) => {
      client.ws.once('open', () => resolve(client));
      client.ws.once('error', reject);
    });
  }

  /** The HTTP status with which the server refused the upgrade. */
  static upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
    const ws = new WebSocket(url, { headers });
    return new Promise((resolve, reject) => {
      ws.on('error', reject);
      ws.once('open', () => {
        ws.terminate();
        reject(new Error(`upgrade to ${url} unexpectedly succeeded`));
      });
      ws.once('unexpected-response', (req, res) => {
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
    });
  }

  /** The next text frame, in arrival order. Rejects on timeout or when the socket closed first. */
  nextText(timeoutMs = 5000): Promise<string> {
    const queued = this.frames.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.closeInfo) return Promise.reject(new Error(`socket closed (${this.closeInfo.code}) with no frame left`));
    return new Promise((resolve, reject) => {
      const wake = (frame: string | CloseInfo): void => {
        clearTimeout(timer);
        if (typeof frame === 'string') resolve(frame);
        else reject(new Error(`socket closed (${frame.code}) before the next frame`));
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(wake), 1);
        reject(new Error(`no frame within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.push(wake);
    });
  }

  /** The next frame parsed as JSON. */
  async next<T = Record<string, unknown>>(timeoutMs = 5000): Promise<T> {
    return JSON.parse(await this.nextText(timeoutMs)) as T;
  }

  send(payload: unknown): void {
    this.ws.send(typeof payload === 'string' ? payload : JSON.stringify(payload));
  }

  /** Sends a ping; the promise settles when the matching pong arrives. */
  ping(payload = 'probe'): Promise<void> {
    return new Promise((resolve) => {
      const onPong = (data: Buffer): void => {
        if (data.toString() !== payload) return;
        this.ws.off('pong', onPong);
        resolve();
      };
      this.ws.on('pong', onPong);
      this.ws.ping(payload);
    });
  }

  /** Frames received but not read yet. */
  pending(): number {
    return this.frames.length;
  }

  /** Closes at once (no closing handshake), for test cleanup. */
  terminate(): void {
    this.ws.terminate();
  }

  private deliver(frame: string): void {
    const wake = this.waiting.shift();
    if (wake) wake(frame);
    else this.frames.push(frame);
  }
}
