import { z } from 'zod';
import { BACKEND_KINDS, LOG_FORMATS, LOG_LEVELS, RESTART_POLICIES, STOP_SIGNALS } from './constants.js';
import { DURATION_PATTERN_SOURCE, parseDuration } from './duration.js';
import { parseListenAddress } from './listen-address.js';

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
        patterns: z.array(nonEmptyString(), { error: () => 'expected a list of regular expressions' }).default([]),
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
    status: statusSchema,
  })
  .superRefine((config, ctx) => {
    const { backend } = config;
    const issue = (path: (string | number)[], message: string, input?: unknown) =>
      ctx.addIssue({ code: 'custom', path, message, input });

    if (backend.kind !== 'none') {
      if (!backend.url) issue(['backend', 'url'], `required when backend.kind is "${backend.kind}"`);
      else {
        const wantTcp = backend.kind === 'tcp';
        const ok = wantTcp ? /^tcp:\/\/[^/:]+:\d+\/?$|^tcp:\/\/\[[^\]]+\]:\d+\/?$/.test(backend.url) : isUrl(backend.url, ['http:', 'https:']);
        if (!ok) issue(['backend', 'url'], wantTcp ? 'expected "tcp://host:port"' : 'expected an http(s) URL like "http://127.0.0.1:8080"', backend.url);
      }
      if (backend.wsUrl && !isUrl(backend.wsUrl, ['ws:', 'wss:'])) issue(['backend', 'wsUrl'], 'expected a ws(s) URL like "ws://127.0.0.1:8080"', backend.wsUrl);
    }
    if (backend.kind === 'mirai' && backend.verifyKey === undefined) {
      // mirai-api-http with enableVerify: false accepts any key; an empty string states that on purpose.
      issue(['backend', 'verifyKey'], 'required when backend.kind is "mirai" (use "" if enableVerify is false)');
    }
    if (config.probes.link?.enabled && backend.kind === 'none' && !config.probes.link.target) {
      issue(['probes', 'link', 'target'], 'required when backend.kind is "none": the "host:port" the bot connects to');
    }
    if (config.probes.link?.target && !/^(\[[^\]]+\]|[^:\s]+):\d{1,5}$/.test(config.probes.link.target)) {
      issue(['probes', 'link', 'target'], 'expected "host:port"', config.probes.link.target);
    }
    config.probes.output.patterns.forEach((pattern, index) => {
      try {
        new RegExp(pattern);
      } catch (error) {
        issue(['probes', 'output', 'patterns', index], `invalid regular expression (${(error as Error).message})`, pattern);
      }
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

function isUrl(text: string, protocols: string[]): boolean {
  try {
    const url = new URL(text);
    return protocols.includes(url.protocol) && url.hostname !== '';
  } catch {
    return false;
  }
}

/** The config as written (durations as strings or numbers, keys optional). */
export type ConfigInput = z.input<typeof configSchema>;
/** The config after defaults and parsing (durations in milliseconds). */
export type ParsedConfig = z.output<typeof configSchema>;
