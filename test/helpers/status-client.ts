// Helpers for the status endpoint tests: plain HTTP requests on fresh connections, raw sockets, event streams.
import { request, type IncomingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request on its own connection (no pooling: connection counts stay exact). */
export function get(port: number, path: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers ?? {}, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

export function json(reply: Reply): Record<string, unknown> {
  return JSON.parse(reply.body) as Record<string, unknown>;
}

/** A raw TCP connection, resolved once connected. */
export function rawSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.on('error', reject);
  });
}

/** Resolves when the other side has closed the socket, with whatever it sent. */
export function closedByPeer(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', () => {});
    socket.on('close', () => resolve(received));
  });
}

export interface EventStream {
  status: number;
  /** The `data:` payloads received so far, parsed. */
  frames: unknown[];
  /** Resolves with the first frame (also one already received) that matches. */
  next: (predicate: (frame: any) => boolean, timeoutMs?: number) => Promise<any>;
  close: () => void;
}

/** Follows `/events` like a browser's EventSource would. */
export function openEvents(port: number, headers: Record<string, string> = {}): Promise<EventStream> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/events', headers, agent: false }, (res) => {
      const frames: unknown[] = [];
      const waiters = new Set<() => void>();
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block
            .split('\n')
            .filter((line) => line.startsWith('data: '))
            .map((line) => line.slice(6))
            .join('\n');
          if (data) frames.push(JSON.parse(data));
        }
        for (const wake of [...waiters]) wake();
      });
      res.on('error', () => {});
      resolve({
        status: res.statusCode ?? 0,
        frames,
        next: (predicate, timeoutMs = 10_000) =>
          new Promise((resolveFrame, rejectFrame) => {
            const check = () => {
              const found = frames.find(predicate);
              if (found === undefined) return;
              clearTimeout(timer);
              waiters.delete(check);
              resolveFrame(found);
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              rejectFrame(new Error(`no matching event frame within ${timeoutMs}ms (${frames.length} frames)`));
            }, timeoutMs);
            waiters.add(check);
            check();
          }),
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
    req.end();
  });
}
