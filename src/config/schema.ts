import { z } from 'zod';
import { outputPatternProblem } from '../child/output-pattern.js';
import { BACKEND_KINDS, LOG_FORMATS, LOG_LEVELS, RESTART_POLICIES, STOP_SIGNALS } from './constants.js';
import { DURATION_PATTERN_SOURCE, parseDuration } from './duration.js';

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
  })
  .prefault({});

const stopSchema = z
  .strictObject({
    signal: z.enum(STOP_SIGNALS).default('SIGTERM').describe('First signal sent to every process of the bot tree'),
    timeout: duration('Grace before SIGKILL').default(10_000),
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
    accessToken: str().optional().describe('OneBot access token (secret: never logged)'),
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
    waitForBackend: bool().default(true).describe('Spawn the bot only once the backend is ready'),
    timeout: duration('Give up waiting for the backend after this; 0 = wait forever').default(0),
    grace: duration('After each spawn, heartbeat/link/silence do not count for this long').default(60_000),
  })
  .prefault({});

const stateSchema = z
  .strictObject({
    file: nonEmptyString().optional().describe('Default: .bot-watchdog/state.json beside the config'),
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
  })
  .superRefine((config, ctx) => {
    const { backend } = config;
    const issue = (path: (string | number)[], message: string, input?: unknown) =>
      ctx.addIssue({ code: 'custom', path, message, input });

    if (backend.kind !== 'none') {
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
    if (config.probes.link?.enabled && backend.kind === 'none' && !config.probes.link.target) {
      issue(['probes', 'link', 'target'], 'required when backend.kind is "none": the "host:port" the bot connects to');
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
