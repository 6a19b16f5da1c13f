import { performance } from 'node:perf_hooks';
import { httpRequest, joinUrl } from '../../probes/http-request.js';
import { judgeOneBotStatus, oneBotHeaders } from './onebot-answer.js';
import { result, type Probe, type ProbeResult } from '../../probes/probe.js';
import { integerOf, isObject, parseJsonObject, snippet } from '../untrusted.js';

export interface OneBotHttpOptions {
  url: string;
  accessToken?: string;
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
    const started = performance.now();
    const what = 'GET /get_status';
    const answer = await httpRequest(joinUrl(this.options.url, '/get_status'), {
      headers: oneBotHeaders(this.options.accessToken),
      ...(signal ? { signal } : {}),
    });
    if (!answer.ok) return result(this.name, 'unhealthy', `${what}: ${answer.reason}`, started);
    if (answer.status !== 200) {
      const judged = judgeOneBotStatus(answer.status, what, Boolean(this.options.accessToken));
      return result(this.name, judged.verdict, judged.reason, started, { status: answer.status });
    }
    const body = parseJsonObject(answer.body);
    if (!body) return result(this.name, 'unhealthy', `the answer to ${what} is not a JSON object`, started);
    const retcode = integerOf(body['retcode']);
    if (body['status'] !== 'ok' || retcode !== 0) {
      const msg = typeof body['wording'] === 'string' ? body['wording'] : typeof body['msg'] === 'string' ? body['msg'] : '';
      return result(this.name, 'unhealthy', `${what} failed (retcode ${retcode ?? '?'}${msg ? `: ${snippet(msg)}` : ''})`, started, { retcode });
    }
    const data = isObject(body['data']) ? body['data'] : {};
    if (data['online'] !== true) return result(this.name, 'unhealthy', 'the QQ account is offline (get_status: online is not true)', started, { online: data['online'] ?? null });
    if (data['good'] !== true) return result(this.name, 'unhealthy', 'the OneBot implementation is not in good order (get_status: good is not true)', started, { good: data['good'] ?? null });
    return result(this.name, 'healthy', 'get_status: online and good', started);
  }
}
