import http from 'node:http';
import https from 'node:https';
import type { Clock } from '../clock/clock.js';
import { errorReason } from './net-errors.js';

/** Probe answers are small (mirai /about is ~50 bytes); anything bigger is not what we asked for. */
export const MAX_ANSWER_BYTES = 64 * 1024;

export interface HttpRequestOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** Sent as a JSON body (POST). */
  json?: unknown;
  signal?: AbortSignal;
  maxBytes?: number;
  /** Measures the wait in "no answer within N ms". */
  clock: Pick<Clock, 'now'>;
}

export type HttpOutcome =
  | { ok: true; status: number; body: string; contentType: string | undefined }
  | { ok: false; reason: string };

/**
 * One HTTP request (GET, or POST with a JSON body) on a fresh connection (no keep-alive pool: a probe measures reachability each
 * time, and holds no socket between checks). Never throws: every failure is `{ ok: false, reason }`.
 * An abort through `signal` gives "no answer within N ms" with the time it waited.
 */
export function httpRequest(url: URL, options: HttpRequestOptions): Promise<HttpOutcome> {
  const clock = options.clock;
  const started = clock.now();
  const maxBytes = options.maxBytes ?? MAX_ANSWER_BYTES;
  const body = options.json === undefined ? undefined : Buffer.from(JSON.stringify(options.json));
  const headers: Record<string, string> = { accept: 'application/json', connection: 'close', ...(options.headers ?? {}) };
  if (body) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(body.length);
  }
  const waited = () => `no answer within ${Math.round(clock.now() - started)}ms`;

  return new Promise<HttpOutcome>((resolve) => {
    let settled = false;
    const finish = (outcome: HttpOutcome) => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    if (options.signal?.aborted) return finish({ ok: false, reason: waited() });

    let request: http.ClientRequest;
    try {
      const client = url.protocol === 'https:' ? https : http;
      request = client.request(url, { method: options.method ?? 'GET', headers, agent: false });
    } catch (error) {
      return finish({ ok: false, reason: errorReason(error) });
    }
    function onAbort() {
      finish({ ok: false, reason: waited() });
      request.destroy();
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });

    request.on('error', (error) => finish({ ok: false, reason: errorReason(error) }));
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          finish({ ok: false, reason: `answer larger than ${Math.round(maxBytes / 1024)} KiB` });
          request.destroy();
          return;
        }
        chunks.push(chunk);
      });
      response.on('end', () =>
        finish({
          ok: true,
          status: response.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          contentType: response.headers['content-type'],
        }),
      );
      response.on('error', (error) => finish({ ok: false, reason: errorReason(error) }));
      response.on('close', () => {
        if (!response.complete) finish({ ok: false, reason: 'connection closed in the middle of the answer' });
      });
    });
    request.end(body);
  });
}

/** `base` + `path`, keeping a path prefix of the base (a backend behind a reverse proxy). */
export function joinUrl(base: string | URL, path: string): URL {
  const url = new URL(String(base));
  const prefix = url.pathname.replace(/\/+$/, '');
  const [pathname, query] = path.split('?', 2) as [string, string | undefined];
  url.pathname = `${prefix}${pathname.startsWith('/') ? '' : '/'}${pathname}`;
  url.search = query === undefined ? '' : `?${query}`;
  url.hash = '';
  return url;
}

/** The URL without credentials or query, for logs: "http://127.0.0.1:8080/about". */
export function displayUrl(url: string | URL): string {
  try {
    const u = new URL(String(url));
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '<invalid url>';
  }
}
