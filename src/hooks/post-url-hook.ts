import http from 'node:http';
import https from 'node:https';
import { errorReason } from '../probes/net-errors.js';
import type { HookOutcome } from './hook-outcome.js';

export interface UrlHookRun {
  url: string;
  /** The JSON body. */
  body: string;
  timeoutMs: number;
  userAgent: string;
  signal?: AbortSignal;
}

const MAX_ANSWER = 64 * 1024;

/**
 * POSTs the event to a url hook. A 2xx answer within `timeoutMs` is success; redirects are not
 * followed. Resolves, never rejects; the reason never contains the URL (it may carry a secret).
 * User name and password in the URL are sent as Basic authentication.
 */
export function postUrlHook(run: UrlHookRun): Promise<HookOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: HookOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      run.signal?.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    let url: URL;
    try {
      url = new URL(run.url);
    } catch {
      finish({ ok: false, reason: 'not a valid URL' });
      return;
    }
    const client = url.protocol === 'https:' ? https : http;
    const body = Buffer.from(run.body, 'utf8');
    const request = client.request(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'content-length': body.length,
        'user-agent': run.userAgent,
      },
    });
    const timer = setTimeout(() => {
      finish({ ok: false, timedOut: true, reason: `no answer within ${run.timeoutMs}ms` });
      request.destroy();
    }, run.timeoutMs);
    timer.unref?.();
    const onAbort = () => {
      finish({ ok: false, reason: 'aborted: the watchdog is exiting' });
      request.destroy();
    };
    run.signal?.addEventListener('abort', onAbort, { once: true });

    request.on('error', (error) => finish({ ok: false, reason: errorReason(error) }));
    request.on('response', (response) => {
      let received = 0;
      response.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > MAX_ANSWER) response.destroy();
      });
      response.on('error', () => {});
      const status = response.statusCode ?? 0;
      response.on('close', () => {
        finish(status >= 200 && status < 300 ? { ok: true } : { ok: false, reason: `HTTP ${status}` });
      });
      response.resume();
    });
    request.end(body);
  });
}
