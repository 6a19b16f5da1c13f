import type { ConfigProblem } from './format-issues.js';
import { isLoopbackHost, parseBackendListen, parseListenAddress } from '../net/listen-address.js';
import type { ParsedConfig } from './schema.js';
import { isPort, PORT_RANGE, urlProblem } from './url-problem.js';

/**
 * The rules between fields of a config whose shape (and every single value) is valid: what one
 * field requires of another (schema.ts judges each value alone).
 */
export function configProblems(config: ParsedConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const issue = (path: (string | number)[], message: string, input?: unknown) => problems.push({ path, message, input });
  const { backend } = config;

  if (backend.kind === 'onebot-reverse') {
    if (backend.listen === undefined) issue(['backend', 'listen'], 'required when backend.kind is "onebot-reverse": the "host:port" (or port) NapCat connects to');
  } else if (backend.listen !== undefined) {
    issue(['backend', 'listen'], 'only for backend.kind "onebot-reverse"', backend.listen);
  }
  const napcatListen = backend.listen === undefined ? undefined : parseBackendListen(backend.listen);
  if (backend.listen !== undefined && !napcatListen) {
    issue(['backend', 'listen'], 'expected a port (1-65535) or "host:port", e.g. "127.0.0.1:9466"', backend.listen);
  } else if (napcatListen && !isLoopbackHost(napcatListen.host) && !backend.accessToken) {
    issue(
      ['backend', 'accessToken'],
      `required when backend.listen (${JSON.stringify(backend.listen)}) is not a loopback address: anyone who can reach it could pose as NapCat (and trigger backend.restart)`,
    );
  }
  if (backend.restart && backend.kind === 'none') {
    issue(['backend', 'restart'], 'needs a backend to watch (backend.kind is "none")');
  }
  if (backend.kind !== 'none' && backend.kind !== 'onebot-reverse') {
    if (!backend.url) issue(['backend', 'url'], `required when backend.kind is "${backend.kind}"`);
    else if (backend.kind === 'tcp') {
      const port = /^tcp:\/\/(?:[^/:[\]\s]+|\[[^\]]+\]):([^/]*)\/?$/.exec(backend.url)?.[1];
      if (port === undefined) issue(['backend', 'url'], 'expected "tcp://host:port"', backend.url);
      else if (!isPort(port)) issue(['backend', 'url'], `expected "tcp://host:port" with ${PORT_RANGE}`, backend.url);
    } else {
      const problem = urlProblem(backend.url, ['http:', 'https:']);
      if (problem) issue(['backend', 'url'], problem === 'port' ? `expected ${PORT_RANGE}` : 'expected an http(s) URL like "http://127.0.0.1:8080"', backend.url);
    }
    const wsProblem = backend.wsUrl ? urlProblem(backend.wsUrl, ['ws:', 'wss:']) : undefined;
    if (wsProblem) issue(['backend', 'wsUrl'], wsProblem === 'port' ? `expected ${PORT_RANGE}` : 'expected a ws(s) URL like "ws://127.0.0.1:8080"', backend.wsUrl);
  }
  if (backend.kind === 'mirai' && backend.verifyKey === undefined) {
    // mirai-api-http with enableVerify: false accepts any key; an empty string states that on purpose.
    issue(['backend', 'verifyKey'], 'required when backend.kind is "mirai" (use "" if enableVerify is false)');
  }
  const link = config.probes.link;
  if (link?.enabled && backend.kind === 'none' && !link.target && link.listen === undefined) {
    issue(['probes', 'link', 'target'], 'required when backend.kind is "none" and probes.link.listen is not set: the "host:port" the bot connects to');
  }
  if (link && link.stall > 0 && link.stall < link.interval) {
    issue(['probes', 'link', 'stall'], `expected at least probes.link.interval (${link.interval}ms), or 0 for off: the receive queue is sampled every interval`, link.stall);
  }
  config.hooks.forEach((hook, index) => {
    if ((hook.command === undefined) === (hook.url === undefined)) {
      issue(['hooks', index], hook.command ? 'expected either "command" or "url", not both' : 'expected "command" (an argv list) or "url"');
    }
  });
  if (config.status.listen !== undefined) {
    const listen = parseListenAddress(config.status.listen);
    if (!('problem' in listen) && !listen.loopback && config.status.token === undefined) {
      issue(
        ['status', 'token'],
        `required when status.listen (${JSON.stringify(config.status.listen)}) is not a loopback address: anyone who can reach it could read the bot's status`,
      );
    }
  }
  if (config.restart.maxDelay < config.restart.initialDelay) {
    issue(['restart', 'maxDelay'], `expected at least restart.initialDelay (${config.restart.initialDelay}ms)`, config.restart.maxDelay);
  }
  return problems;
}
