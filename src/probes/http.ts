import { performance } from 'node:perf_hooks';
import { displayUrl, httpRequest } from './http-request.js';
import { result, type Probe, type ProbeResult } from './probe.js';

/** backend.kind "http": GET the URL; any 2xx in time is healthy. */
export class HttpProbe implements Probe {
  readonly name = 'http';
  private readonly url: URL;

  constructor(url: string) {
    this.url = new URL(url);
  }

  async check(signal?: AbortSignal): Promise<ProbeResult> {
    const started = performance.now();
    const target = displayUrl(this.url);
    const answer = await httpRequest(this.url, signal ? { signal } : {});
    if (!answer.ok) return result(this.name, 'unhealthy', answer.reason, started, { url: target });
    const verdict = answer.status >= 200 && answer.status < 300 ? 'healthy' : 'unhealthy';
    return result(this.name, verdict, `HTTP ${answer.status}`, started, { url: target, status: answer.status });
  }
}
