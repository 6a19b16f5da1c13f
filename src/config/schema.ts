import { z } from 'zod';
import { outputPatternProblem } from '../child/output-pattern.js';
import { BACKEND_KINDS, LOG_FORMATS, LOG_LEVELS, RESTART_POLICIES, STOP_SIGNALS } from './constants.js';
import { DURATION_PATTERN_SOURCE, parseDuration } from './duration.js';
import { didYouMean } from './did-you-mean.js';
import { HOOK_ANY_EVENT, HOOK_EVENT_NAMES, HOOK_OWN_EVENT_PREFIX } from '../hooks/hook-events.js';
import { parseListen } from '../backend/onebot-reverse/listen-address.js';
import { cronError } from '../supervisor/schedule.js';
import { isLoopbackHost, parseListenAddress } from './listen-address.js';
import { parseListen as parseLinkListen } from '../probes/link/listen.js';

export { BACKEND_KINDS, LOG_FORMATS, LOG_LEVELS, RESTART_POLICIES, STOP_SIGNALS } from './constants.js';

/**
 * The one schema of watchdog.config.json: defaults, validation and (through
 * `z.toJSONSchema`) the JSON Schema file for editors all come from here.
 * Every object is strict: an unknown key is an error, with a "did you mean".
 */

const DURATION_EXPECTED = 'expected a duration like "30s", "5m" or a number of milliseconds';
const durationInput = z.union(
  [
    z.number().int({ error: () => DURATION_EXPECTED }).nonnegative({ error: () => DURATION_EXPECTED }),
    z.string().regex(new RegExp(DURATION_PATTERN_SOURCE, 'i'), { error: () => DURATION_EXPECTED }),
  ],
  { error: () => DURATION_EXPECTED },
);

/** Node's timers hold at most 2^31−1 ms (about 24.8 days); a longer delay would fire at once. */
export const MAX_DURATION_MS = 2_147_483_647;

/** A duration field; parsed into milliseconds. */
export const duration = (description: string) =>
  durationInput
    .transform((value) => parseDuration(value) as number)
    .refine((ms) => ms <= MAX_DURATION_MS, { message: 'expected a duration of at most "24d"' })
    .describe(description);

const positiveDuration = (description: string) =>
  duration(description).refine((v) => v > 0, { message: 'expected a duration greater than 0' });

const int = (min: number) =>
  z.number({ error: () => 'expected a whole number' }).int({ error: () => 'expected a whole number' }).min(min, {
    error: () => (min === 0 ? 'expected a whole number >= 0' : `expected a whole number >= ${min}`),
  });

const bool = () => z.boolean({ error: () => 'expected true or false' });
const str = () => z.string({ error: () => 'expected a string' });
const nonEmptyString = () => str().min(1, { error: () => 'expected a non-empty string' });


const restartSchema = z
  .strictObject({
    policy: z.enum(RESTART_POLICIES).default('always').describe('When to restart the bot after it stops'),
    initialDelay: duration('First backoff delay').default(1000),
    maxDelay: duration('Cap of the backoff delay').default(300_000),
    factor: z.number({ error: () => 'expected a number >= 1' }).min(1, { error: () => 'expected a number >= 1' }).default(2).describe('Growth of the delay per restart'),
    jitter: z
      .number({ error: () => 'expected a number from 0 to 1' })
      .min(0, { error: () => 'expected a number from 0 to 1' })
      .max(1, { error: () => 'expected a number from 0 to 1' })
      .default(0.2)
      .describe('Random spread of each delay: 0.2 means ±20%'),
    resetAfter: duration('Uptime after which the backoff starts over').default(600_000),
    limit: z
      .strictObject({
        count: int(0).default(10).describe('Restarts within window before giving up; 0 = never give up'),
        window: positiveDuration('Sliding window of the restart limit').default(1_800_000),
      })
      .prefault({}),
    flapping: z
      .strictObject({
        count: int(0)
          .default(3)
          .describe('Restarts caused by the backend (outages, blips, relogins) within window that start the bot at once; each further one waits; 0 = no damping'),
        window: positiveDuration('Sliding window of the backend restarts counted by restart.flapping').default(600_000),
        delay: positiveDuration('Wait before the first damped start; it doubles with each further backend restart').default(10_000),
        maxDelay: positiveDuration('Cap of that wait').default(300_000),
      })
      .prefault({}),
    schedule: nonEmptyString()
      .optional()
      .describe('Cron expression (local time) of planned restarts, e.g. "0 4 * * *"; reason "scheduled", never counted toward the limit'),
  })
  .prefault({});

const stopSchema = z
  .strictObject({
    signal: z.enum(STOP_SIGNALS).default('SIGTERM').describe('First signal sent to every process of the bot tree'),
    timeout: duration('Grace before SIGKILL').default(10_000),
    hungTimeout: duration(
      'Grace before SIGKILL when the bot is hung (heartbeat-stale, link-stalled, output-silent): its loop cannot run a shutdown; at most stop.timeout',
    ).default(3000),
  })
  .prefault({});

const logSchema = z
  .strictObject({
    level: z.enum(LOG_LEVELS).default('info'),
    format: z.enum(LOG_FORMATS).default('auto').describe('"auto" is pretty when stderr is a terminal'),
  })
  .prefault({});

const backendSchema = z
  .strictObject({
    kind: z.enum(BACKEND_KINDS).default('none').describe('What the bot talks to'),
    url: nonEmptyString().optional().describe('HTTP base, e.g. "http://127.0.0.1:8080"; for tcp "tcp://host:port"'),
    wsUrl: nonEmptyString().optional().describe('WebSocket base; derived from url when absent'),
    verifyKey: str().optional().describe('mirai-api-http verifyKey (secret: never logged)'),
    qq: z
      .number({ error: () => 'expected the bot\'s QQ number' })
      .int({ error: () => 'expected the bot\'s QQ number' })
      .positive({ error: () => 'expected the bot\'s QQ number' })
      .optional()
      .describe('The bot account (mirai)'),
    accessToken: str().optional().describe('OneBot access token: sent to onebot, required from NapCat for onebot-reverse (secret: never logged)'),
    listen: z
      .union([nonEmptyString(), z.number()], { error: () => 'expected a port or "host:port"' })
      .optional()
      .describe('onebot-reverse: where the watchdog listens for NapCat, "127.0.0.1:9466" or a port (any path)'),
    restart: z
      .strictObject({
        command: z
          .array(str(), { error: () => 'expected the command\'s argv as a list of strings, e.g. ["docker", "restart", "napcat"]' })
          .min(1, { error: () => 'expected at least the program to run' })
          .refine((argv) => (argv[0] ?? '') !== '', { message: 'expected the program to run first, not ""' })
          .describe('argv run without a shell to restart the backend, e.g. ["docker", "restart", "napcat"]'),
        after: positiveDuration('Down (or its account offline) this long before the command runs').default(60_000),
        cooldown: positiveDuration('At most one run per this much time').default(600_000),
      })
      .optional(),
  })
  .prefault({});

const probesSchema = z
  .strictObject({
    backend: z
      .strictObject({
        interval: positiveDuration('Time between HTTP polls of the backend').default(5000),
        timeout: positiveDuration('Time an answer may take').default(3000),
        failureThreshold: int(1).default(3).describe('Failed polls in a row that mean the backend is down'),
      })
      .prefault({}),
    websocket: z
      .strictObject({
        enabled: bool().optional().describe('Default: true for mirai and onebot'),
        pingInterval: positiveDuration('Time between ping frames').default(10_000),
        pongTimeout: positiveDuration('No pong within this = link dead').default(5000),
      })
      .prefault({}),
    heartbeat: z
      .strictObject({
        file: nonEmptyString().describe('A file the bot touches or writes (its log file will do); * and ? in the file name: the newest match'),
        maxAge: positiveDuration('mtime older than this = hung').default(90_000),
        interval: positiveDuration('Time between checks (default: a quarter of maxAge, at most 5s)').optional(),
      })
      .optional(),
    link: z
      .strictObject({
        enabled: bool().default(true),
        grace: positiveDuration('No live connection from the bot to the backend for this long = link lost').default(30_000),
        target: nonEmptyString().optional().describe('"host:port" the bot connects to; default: the backend'),
        interval: positiveDuration('Time between samples of the bot\'s sockets').default(2000),
        listen: z
          .union([z.number(), z.string()], { error: () => 'expected a port like 2280 or "host:port"' })
          .optional()
          .describe('Port or "host:port" the bot listens on (NapCat\'s reverse WebSocket): connections to it are the bot\'s link, and something of the bot must listen there'),
        stall: duration('Unread bytes waiting on the bot\'s link, never shrinking, for this long = the bot stopped reading; 0 = off').default(0),
      })
      .optional(),
    output: z
      .strictObject({
        patterns: z
          .array(nonEmptyString(), { error: () => 'expected a list of regular expressions' })
          .default([])
          .describe('Regular expressions (JavaScript syntax, run on RE2: no backreferences or lookaround); a matching line = restart now'),
        silence: duration('No output at all for this long = hung; 0 = off').default(0),
      })
      .prefault({}),
  })
  .prefault({});

const startupSchema = z
  .strictObject({
    waitForBackend: bool().optional().describe('Spawn the bot only once the backend is ready (default: true, false for onebot-reverse)'),
    timeout: duration('Give up waiting for the backend after this; 0 = wait forever').default(0),
    grace: duration('After each spawn, heartbeat/link/silence do not count for this long').default(60_000),
  })
  .prefault({});

const stateSchema = z
  .strictObject({
    file: nonEmptyString().optional().describe('Default: .bot-watchdog/state.json beside the config'),
  })
  .prefault({});

/** Default time a hook may take before it is killed (a command) or abandoned (a url). */
export const DEFAULT_HOOK_TIMEOUT_MS = 10_000;

const hookSchema = z.strictObject({
  on: z
    .array(nonEmptyString().meta({ enum: [...HOOK_EVENT_NAMES, HOOK_ANY_EVENT] }), {
      error: () => 'expected a list of log event names, e.g. ["child.stop", "restart.giveup"], or ["*"]',
    })
    .min(1, { error: () => 'expected at least one log event name, or "*"' })
    .describe('Log events that run this hook; "*" for every event'),
  command: z
    .array(str(), { error: () => 'expected an argv list, e.g. ["./notify.sh"]' })
    .min(1, { error: () => 'expected at least the program to run' })
    .optional()
    .describe('Run this (no shell; relative to the config folder); the event as JSON on stdin, BOT_WATCHDOG_* in the environment'),
  url: nonEmptyString().optional().describe('POST the event as JSON to this http(s) URL'),
  timeout: positiveDuration('Time a run may take; then it is killed or abandoned').default(DEFAULT_HOOK_TIMEOUT_MS),
});

const KNOWN_HOOK_EVENTS: readonly string[] = HOOK_EVENT_NAMES;
/** Shorter tokens could be guessed; 16 characters from `openssl rand -hex 16` (32) are plenty. */
export const MIN_STATUS_TOKEN_LENGTH = 16;

const statusSchema = z
  .strictObject({
    listen: z
      .union(
        [
          z.number({ error: () => 'expected "host:port" or a port number' }),
          str(),
        ],
        { error: () => 'expected "host:port" (e.g. "127.0.0.1:9465") or a port number' },
      )
      .optional()
      .describe('Serve /healthz, /status, /metrics and the dashboard here: "127.0.0.1:9465" or a port (127.0.0.1). Off when absent'),
    token: str()
      .min(MIN_STATUS_TOKEN_LENGTH, { error: () => `expected at least ${MIN_STATUS_TOKEN_LENGTH} characters` })
      .optional()
      .describe('Required on every request as "Authorization: Bearer <token>" (secret: never logged); needed for a non-loopback status.listen'),
  })
  .prefault({});

export const configSchema = z
  .strictObject({
    $schema: str().optional(),
    command: z
      .array(str(), { error: () => 'expected the bot\'s argv as a list of strings, e.g. ["python3", "main.py"]' })
      .min(1, { error: () => 'expected at least the program to run' })
      .optional()
      .describe('argv of the bot, run without a shell'),
    cwd: nonEmptyString().optional().describe('Working directory of the bot (relative to the config file)'),
    env: z.record(z.string(), str(), { error: () => 'expected an object of string values' }).default({}).describe('Extra environment variables'),
    restart: restartSchema,
    stop: stopSchema,
    log: logSchema,
    backend: backendSchema,
    probes: probesSchema,
    startup: startupSchema,
    state: stateSchema,
    hooks: z
      .array(hookSchema, { error: () => 'expected a list of hooks, e.g. [{ "on": ["child.stop"], "command": ["./notify.sh"] }]' })
      .default([])
      .describe('Commands and webhooks run on log events'),
    status: statusSchema,
  })
  .superRefine((config, ctx) => {
    const { backend } = config;
    const issue = (path: (string | number)[], message: string, input?: unknown) =>
      ctx.addIssue({ code: 'custom', path, message, input });

    if (backend.kind === 'onebot-reverse') {
      if (backend.listen === undefined) issue(['backend', 'listen'], 'required when backend.kind is "onebot-reverse": the "host:port" (or port) NapCat connects to');
    } else if (backend.listen !== undefined) {
      issue(['backend', 'listen'], 'only for backend.kind "onebot-reverse"', backend.listen);
    }
    const napcatListen = backend.listen === undefined ? undefined : parseListen(backend.listen);
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
    if (config.restart.schedule !== undefined) {
      const problem = cronError(config.restart.schedule);
      if (problem) issue(['restart', 'schedule'], `expected a cron expression like "0 4 * * *" (${problem})`, config.restart.schedule);
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
    if (link?.listen !== undefined) {
      const listen = parseLinkListen(link.listen);
      if (typeof listen === 'string') issue(['probes', 'link', 'listen'], listen, link.listen);
    }
    if (link && link.stall > 0 && link.stall < link.interval) {
      issue(['probes', 'link', 'stall'], `expected at least probes.link.interval (${link.interval}ms), or 0 for off: the receive queue is sampled every interval`, link.stall);
    }
    const target = config.probes.link?.target;
    if (target) {
      const port = /^(?:\[[^\]]+\]|[^:\s[\]]+):(.*)$/.exec(target)?.[1];
      if (port === undefined || !isPort(port)) issue(['probes', 'link', 'target'], `expected "host:port" with ${PORT_RANGE}`, target);
    }
    config.probes.output.patterns.forEach((pattern, index) => {
      const problem = outputPatternProblem(pattern);
      if (problem) issue(['probes', 'output', 'patterns', index], problem, pattern);
    });
    config.hooks.forEach((hook, index) => {
      if ((hook.command === undefined) === (hook.url === undefined)) {
        issue(['hooks', index], hook.command ? 'expected either "command" or "url", not both' : 'expected "command" (an argv list) or "url"');
      }
      // The value is not echoed: a webhook URL often carries its token.
      if (hook.url !== undefined && urlProblem(hook.url, ['http:', 'https:']) !== undefined) issue(['hooks', index, 'url'], 'expected an http(s) URL like "https://example.com/hook"');
      hook.on.forEach((name, at) => {
        if (name === HOOK_ANY_EVENT || KNOWN_HOOK_EVENTS.includes(name)) return;
        if (name.startsWith(HOOK_OWN_EVENT_PREFIX)) {
          issue(['hooks', index, 'on', at], 'hook.* events are never passed to hooks', name);
          return;
        }
        const suggestion = didYouMean(name, KNOWN_HOOK_EVENTS);
        issue(['hooks', index, 'on', at], `expected a log event name or "*"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`, name);
      });
    });
    if (config.status.listen !== undefined) {
      const listen = parseListenAddress(config.status.listen);
      if ('problem' in listen) issue(['status', 'listen'], listen.problem, config.status.listen);
      else if (!listen.loopback && config.status.token === undefined) {
        issue(
          ['status', 'token'],
          `required when status.listen (${JSON.stringify(config.status.listen)}) is not a loopback address: anyone who can reach it could read the bot's status`,
        );
      }
    }
    if (config.restart.maxDelay < config.restart.initialDelay) {
      issue(['restart', 'maxDelay'], `expected at least restart.initialDelay (${config.restart.initialDelay}ms)`, config.restart.maxDelay);
    }
  });

const PORT_RANGE = 'a port from 1 to 65535';

/** A TCP port as written in "host:port": digits only, 1 to 65535. */
function isPort(text: string): boolean {
  return /^\d{1,5}$/.test(text) && Number(text) >= 1 && Number(text) <= 65535;
}

/** Why `text` is not a usable URL of one of these protocols ("port": port 0), or undefined. */
function urlProblem(text: string, protocols: string[]): 'url' | 'port' | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // An out-of-range or non-numeric port makes the URL itself invalid: say which part is wrong.
    const port = /^[a-z][a-z0-9+.-]*:\/\/(?:[^/?#@]*@)?(?:\[[^\]]*\]|[^/?#:]*):([^/?#]*)/i.exec(text)?.[1];
    return port !== undefined && !isPort(port) ? 'port' : 'url';
  }
  if (!protocols.includes(url.protocol) || url.hostname === '') return 'url';
  return url.port === '0' ? 'port' : undefined;
}

/** The config as written (durations as strings or numbers, keys optional). */
export type ConfigInput = z.input<typeof configSchema>;
/** The config after defaults and parsing (durations in milliseconds). */
export type ParsedConfig = z.output<typeof configSchema>;
