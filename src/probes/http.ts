import type { Clock } from '../clock/clock.js';
import { displayUrl, httpRequest } from './http-request.js';
import { stopwatch, type Probe, type ProbeResult } from './probe.js';

/** backend.kind "http": GET the URL; any 2xx in time is healthy. */
export class HttpProbe implements Probe {
  readonly name = 'http';
  private readonly url: URL;

  constructor(
    url: string,
    private readonly clock: Clock,
  ) {
    this.url = new URL(url);
  }

  async check(signal?: AbortSignal): Promise<ProbeResult> {
    const watch = stopwatch(this.clock);
    const target = displayUrl(this.url);
    const answer = await httpRequest(this.url, { clock: this.clock, signal });
    if (!answer.ok) return watch.result(this.name, 'unhealthy', answer.reason, { url: target });
    const verdict = answer.status >= 200 && answer.status < 300 ? 'healthy' : 'unhealthy';
    return watch.result(this.name, verdict, `HTTP ${answer.status}`, { url: target, status: answer.status });
  }
}
