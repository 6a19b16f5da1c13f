import { type Clock } from '../../clock/clock.js';
import { httpRequest, joinUrl } from '../../probes/http-request.js';
import { judgeOneBotStatus, oneBotHeaders } from './onebot-answer.js';
import { stopwatch, type Probe, type ProbeResult } from '../../probes/probe.js';
import { integerOf, isObject, parseJsonObject, snippet } from '../untrusted.js';

export interface OneBotHttpOptions {
  url: string;
  accessToken?: string;
  /** Latency and waits. */
  clock: Clock;
}

/**
 * OneBot v11 HTTP API: `GET /get_status` answers `{"status":"ok","retcode":0,"data":{…}}` with
 * `online` and `good` both true. 401/403 (the token) and other 4xx (no OneBot API at that URL)
 * are misconfigured: our config is wrong, not the backend.
 */
export class OneBotHttpProbe implements Probe {
  readonly name = 'onebot-http';

  constructor(private readonly options: OneBotHttpOptions) {}

  async check(signal?: AbortSignal): Promise<ProbeResult> {
    const clock = this.options.clock;
    const watch = stopwatch(clock);
    const what = 'GET /get_status';
    const answer = await httpRequest(joinUrl(this.options.url, '/get_status'), {
      headers: oneBotHeaders(this.options.accessToken),
      clock,
      signal,
    });
    if (!answer.ok) return watch.result(this.name, 'unhealthy', `${what}: ${answer.reason}`);
    if (answer.status !== 200) {
      const judged = judgeOneBotStatus(answer.status, what, Boolean(this.options.accessToken));
      return watch.result(this.name, judged.verdict, judged.reason, { status: answer.status });
    }
    const body = parseJsonObject(answer.body);
    if (!body) return watch.result(this.name, 'unhealthy', `the answer to ${what} is not a JSON object`);
    const retcode = integerOf(body['retcode']);
    if (body['status'] !== 'ok' || retcode !== 0) {
      const msg = typeof body['wording'] === 'string' ? body['wording'] : typeof body['msg'] === 'string' ? body['msg'] : '';
      return watch.result(this.name, 'unhealthy', `${what} failed (retcode ${retcode ?? '?'}${msg ? `: ${snippet(msg)}` : ''})`, { retcode });
    }
    const data = isObject(body['data']) ? body['data'] : {};
    if (data['online'] !== true) return watch.result(this.name, 'unhealthy', 'the QQ account is offline (get_status: online is not true)', { online: data['online'] ?? null });
    if (data['good'] !== true) return watch.result(this.name, 'unhealthy', 'the OneBot implementation is not in good order (get_status: good is not true)', { good: data['good'] ?? null });
    return watch.result(this.name, 'healthy', 'get_status: online and good');
  }
}
