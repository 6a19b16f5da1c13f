// A real HTTP server on 127.0.0.1, port 0, that records POSTs; it can answer late or never.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventEmitter } from 'node:events';

export interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export class HttpSink extends EventEmitter<{ request: [Received] }> {
  readonly received: Received[] = [];
  /** Requests being handled right now, and the most at once. */
  inFlight = 0;
  maxInFlight = 0;
  /** 'ok' answers 204 at once; 'hang' never answers; a number answers that status. */
  mode: 'ok' | 'hang' | number = 'ok';
  /** Delay before answering, ms. */
  delayMs = 0;
  /** With 'ok': answer 200 with this JSON instead of an empty 204. */
  answer: unknown = undefined;
  private readonly server = http.createServer((req, res) => this.onRequest(req, res));
  private readonly open = new Set<http.ServerResponse>();

  static async start(): Promise<HttpSink> {
    const sink = new HttpSink();
    await new Promise<void>((resolve) => sink.server.listen(0, '127.0.0.1', resolve));
    return sink;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const res of this.open) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.open.add(res);
    res.on('close', () => {
      this.inFlight--;
      this.open.delete(res);
    });
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const received = { path: req.url ?? '/', headers: req.headers, body };
      this.received.push(received);
      this.emit('request', received);
      if (this.mode === 'hang') return;
      const status = this.mode === 'ok' ? (this.answer === undefined ? 204 : 200) : this.mode;
      const answer = this.mode === 'ok' && this.answer !== undefined ? JSON.stringify(this.answer) : undefined;
      setTimeout(() => (answer === undefined ? res.writeHead(status).end() : res.writeHead(status, { 'content-type': 'application/json' }).end(answer)), this.delayMs);
    });
  }
}
