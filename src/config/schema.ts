import * as v from 'valibot';
import { BACKEND_KINDS, LOG_FORMATS, LOG_LEVELS, RESTART_POLICIES, STOP_SIGNALS } from './constants.js';
import { DURATION_PATTERN_SOURCE, parseDuration } from './duration.js';
import { HOOK_ANY_EVENT, HOOK_EVENT_NAMES, HOOK_OWN_EVENT_PREFIX } from '../hooks/hook-events.js';
import { outputPatternProblem } from '../child/output-pattern.js';
import { scheduleProblem } from '../supervisor/schedule.js';
import { didYouMean } from './did-you-mean.js';
import { isPort, PORT_RANGE, urlProblem } from './url-problem.js';
import { parseBotListen, parseListenAddress } from '../net/listen-address.js';

export { BACKEND_KINDS, LOG_FORMATS, LOG_LEVELS, RESTART_POLICIES, STOP_SIGNALS } from './constants.js';

/**
 * The one schema of watchdog.config.json, in valibot (one small module: cheap to load on every
 * start): the shape, the defaults, the messages, and (through scripts/gen-schema.ts) the JSON
 * Schema file for editors. Every object is strict: an unknown key is an error, with a "did you
 * mean". A value only a parser can judge (an address, a URL, a cron expression, a pattern) is
 * judged here too, so that it is reported with every other mistake; rules between fields live in
 * config-rules.ts, run on a config whose shape is valid.
 */

/** A check of one value whose message depends on it: `problem` says what is wrong, or undefined. */
const judged = <T>(problem: (value: T) => string | undefined, options: { echo?: boolean } = {}) =>
  v.rawCheck<T>(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const message = problem(dataset.value);
    if (message !== undefined) addIssue(options.echo === false ? { message, input: undefined } : { message });
  });

const DURATION_EXPECTED = 'expected a duration like "30s", "5m" or a number of milliseconds';

/** Node's timers hold at most 2^31−1 ms (about 24.8 days); a longer delay would fire at once. */
export const MAX_DURATION_MS = 2_147_483_647;

/** A duration field: `"30s"`, `"5m"` or milliseconds, parsed into milliseconds. */
export const duration = (description: string) =>
  v.pipe(
    v.union(
      [
        v.pipe(v.number(DURATION_EXPECTED), v.integer(DURATION_EXPECTED), v.minValue(0, DURATION_EXPECTED)),
        v.pipe(v.string(DURATION_EXPECTED), v.regex(new RegExp(DURATION_PATTERN_SOURCE, 'i'), DURATION_EXPECTED)),
      ],
      DURATION_EXPECTED,
    ),
    v.description(description),
    v.transform((value) => parseDuration(value) as number),
    v.maxValue(MAX_DURATION_MS, 'expected a duration of at most "24d"'),
  );

const positiveDuration = (description: string) => v.pipe(duration(description), v.check((ms) => ms > 0, 'expected a duration greater than 0'));

const int = (min: number) =>
  v.pipe(
    v.number('expected a whole number'),
    v.integer('expected a whole number'),
    v.minValue(min, min === 0 ? 'expected a whole number >= 0' : `expected a whole number >= ${min}`),
  );

const bool = () => v.boolean('expected true or false');
const str = () => v.string('expected a string');
const nonEmptyString = () => v.pipe(str(), v.minLength(1, 'expected a non-empty string'));
const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  v.picklist(values, `expected one of ${values.map((value) => JSON.stringify(value)).join(', ')}`);
const argv = (expected: string) =>
  v.pipe(v.array(str(), expected), v.minLength(1, 'expected at least the program to run'));
/** A section that may be left out: its defaults apply. */
const section = <const E extends v.ObjectEntries>(entries: E) =>
  v.optional(v.strictObject(entries), {} as v.InferInput<v.StrictObjectSchema<E, undefined>>);

const restartSchema = section({
  policy: v.optional(v.pipe(oneOf(RESTART_POLICIES), v.description('When to restart the bot after it stops')), 'always'),
  initialDelay: v.optional(duration('First backoff delay'), 1000),
  maxDelay: v.optional(duration('Cap of the backoff delay'), 300_000),
  factor: v.optional(
    v.pipe(
      v.number('expected a number >= 1'),
      v.finite('expected a number >= 1'),
      v.minValue(1, 'expected a number >= 1'),
      v.description('Growth of the delay per restart'),
    ),
    2,
  ),
  jitter: v.optional(
    v.pipe(
      v.number('expected a number from 0 to 1'),
      v.minValue(0, 'expected a number from 0 to 1'),
      v.maxValue(1, 'expected a number from 0 to 1'),
      v.description('Random spread of each delay: 0.2 means ±20%'),
    ),
    0.2,
  ),
  resetAfter: v.optional(duration('Uptime after which the backoff starts over'), 600_000),
  limit: section({
    count: v.optional(v.pipe(int(0), v.description('Restarts within window before giving up; 0 = never give up')), 10),
    window: v.optional(positiveDuration('Sliding window of the restart limit'), 1_800_000),
  }),
  flapping: section({
    count: v.optional(
      v.pipe(
        int(0),
        v.description('Restarts caused by the backend (outages, blips, relogins) within window that start the bot at once; each further one waits; 0 = no damping'),
      ),
      3,
    ),
    window: v.optional(positiveDuration('Sliding window of the backend restarts counted by restart.flapping'), 600_000),
    delay: v.optional(positiveDuration('Wait before the first damped start; it doubles with each further backend restart'), 10_000),
    maxDelay: v.optional(positiveDuration('Cap of that wait'), 300_000),
  }),
  schedule: v.optional(
    v.pipe(
      nonEmptyString(),
      v.description(
        'Cron expression (local time) of planned restarts, e.g. "0 4 * * *", at least 10 minutes apart; reason "scheduled", never counted toward the limit, skipped while the bot has been up less than 5 minutes',
      ),
      judged<string>((expression) => scheduleProblem(expression)),
    ),
  ),
});

const stopSchema = section({
  signal: v.optional(v.pipe(oneOf(STOP_SIGNALS), v.description('First signal sent to every process of the bot tree')), 'SIGTERM'),
  timeout: v.optional(duration('Grace before SIGKILL'), 10_000),
  hungTimeout: v.optional(
    duration(
      'Grace before SIGKILL when the bot is hung (heartbeat-stale, link-stalled, output-silent): its loop cannot run a shutdown; at most stop.timeout',
    ),
    3000,
  ),
});

const logSchema = section({
  level: v.optional(oneOf(LOG_LEVELS), 'info'),
  format: v.optional(v.pipe(oneOf(LOG_FORMATS), v.description('"auto" is pretty when stderr is a terminal')), 'auto'),
});

const QQ_EXPECTED = "expected the bot's QQ number";

const backendSchema = section({
  kind: v.optional(v.pipe(oneOf(BACKEND_KINDS), v.description('What the bot talks to')), 'none'),
  url: v.optional(v.pipe(nonEmptyString(), v.description('HTTP base, e.g. "http://127.0.0.1:8080"; for tcp "tcp://host:port"'))),
  wsUrl: v.optional(v.pipe(nonEmptyString(), v.description('WebSocket base; derived from url when absent'))),
  verifyKey: v.optional(v.pipe(str(), v.description('mirai-api-http verifyKey (secret: never logged)'))),
  qq: v.optional(v.pipe(v.number(QQ_EXPECTED), v.integer(QQ_EXPECTED), v.minValue(1, QQ_EXPECTED), v.description('The bot account (mirai)'))),
  accessToken: v.optional(
    v.pipe(str(), v.description('OneBot access token: sent to onebot, required from NapCat for onebot-reverse (secret: never logged)')),
  ),
  listen: v.optional(
    v.pipe(
      v.union([nonEmptyString(), v.number()], 'expected a port or "host:port"'),
      v.description('onebot-reverse: where the watchdog listens for NapCat, "127.0.0.1:9466" or a port (any path)'),
    ),
  ),
  restart: v.optional(
    v.strictObject({
      command: v.pipe(
        argv('expected the command\'s argv as a list of strings, e.g. ["docker", "restart", "napcat"]'),
        v.check((command) => (command[0] ?? '') !== '', 'expected the program to run first, not ""'),
        v.description('argv run without a shell to restart the backend, e.g. ["docker", "restart", "napcat"]'),
      ),
      after: v.optional(positiveDuration('Down (or its account offline) this long before the command runs'), 60_000),
      cooldown: v.optional(positiveDuration('At most one run per this much time'), 600_000),
    }),
  ),
});

const probesSchema = section({
  backend: section({
    interval: v.optional(positiveDuration('Time between HTTP polls of the backend'), 5000),
    timeout: v.optional(positiveDuration('Time an answer may take'), 3000),
    failureThreshold: v.optional(v.pipe(int(1), v.description('Failed polls in a row that mean the backend is down')), 3),
  }),
  websocket: section({
    enabled: v.optional(v.pipe(bool(), v.description('Default: true for mirai and onebot'))),
    pingInterval: v.optional(positiveDuration('Time between ping frames'), 10_000),
    pongTimeout: v.optional(positiveDuration('No pong within this = link dead'), 5000),
  }),
  heartbeat: v.optional(
    v.strictObject({
      file: v.pipe(nonEmptyString(), v.description('A file the bot touches or writes (its log file will do); * and ? in the file name: the newest match')),
      maxAge: v.optional(positiveDuration('mtime older than this = hung'), 90_000),
      interval: v.optional(positiveDuration('Time between checks (default: a quarter of maxAge, at most 5s)')),
    }),
  ),
  link: v.optional(
    v.strictObject({
      enabled: v.optional(bool(), true),
      grace: v.optional(positiveDuration('No live connection from the bot to the backend for this long = link lost'), 30_000),
      target: v.optional(
        v.pipe(
          nonEmptyString(),
          v.description('"host:port" the bot connects to; default: the backend'),
          judged<string>((target) => {
            const port = /^(?:\[[^\]]+\]|[^:\s[\]]+):(.*)$/.exec(target)?.[1];
            return port === undefined || !isPort(port) ? `expected "host:port" with ${PORT_RANGE}` : undefined;
          }),
        ),
      ),
      interval: v.optional(positiveDuration("Time between samples of the bot's sockets"), 2000),
      listen: v.optional(
        v.pipe(
          v.union([v.number(), v.string()], 'expected a port like 2280 or "host:port"'),
          v.description(
            "Port or \"host:port\" the bot listens on (NapCat's reverse WebSocket): connections to it are the bot's link, and something of the bot must listen there",
          ),
          judged<string | number>((listen) => {
            const parsed = parseBotListen(listen);
            return typeof parsed === 'string' ? parsed : undefined;
          }),
        ),
      ),
      stall: v.optional(
        duration("Unread bytes waiting on the bot's link, never shrinking, for this long = the bot stopped reading; 0 = off"),
        0,
      ),
    }),
  ),
  output: section({
    patterns: v.optional(
      v.pipe(
        v.array(v.pipe(nonEmptyString(), judged(outputPatternProblem)), 'expected a list of regular expressions'),
        v.description('Regular expressions (JavaScript syntax, run on RE2: no backreferences or lookaround); a matching line = restart now'),
      ),
      [],
    ),
    silence: v.optional(duration('No output at all for this long = hung; 0 = off'), 0),
  }),
});

const startupSchema = section({
  waitForBackend: v.optional(
    v.pipe(bool(), v.description('Spawn the bot only once the backend is ready (default: true, false for onebot-reverse)')),
  ),
  timeout: v.optional(duration('Give up waiting for the backend after this; 0 = wait forever'), 0),
  grace: v.optional(duration('After each spawn, heartbeat/link/silence do not count for this long'), 60_000),
});

const stateSchema = section({
  file: v.optional(v.pipe(nonEmptyString(), v.description('Default: .bot-watchdog/state.json beside the config'))),
});

const KNOWN_HOOK_EVENTS: readonly string[] = HOOK_EVENT_NAMES;

function hookEventProblem(name: string): string | undefined {
  if (name === HOOK_ANY_EVENT || KNOWN_HOOK_EVENTS.includes(name)) return undefined;
  if (name.startsWith(HOOK_OWN_EVENT_PREFIX)) return 'hook.* events are never passed to hooks';
  const suggestion = didYouMean(name, KNOWN_HOOK_EVENTS);
  return `expected a log event name or "*"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`;
}

/** Default time a hook may take before it is killed (a command) or abandoned (a url). */
export const DEFAULT_HOOK_TIMEOUT_MS = 10_000;

const hookSchema = v.strictObject({
  on: v.pipe(
    // The enum is for editors; an unknown name is named here with a "did you mean".
    v.array(v.pipe(nonEmptyString(), v.metadata({ enum: [...HOOK_EVENT_NAMES, HOOK_ANY_EVENT] }), judged(hookEventProblem)), 'expected a list of log event names, e.g. ["child.stop", "restart.giveup"], or ["*"]'),
    v.minLength(1, 'expected at least one log event name, or "*"'),
    v.description('Log events that run this hook; "*" for every event'),
  ),
  command: v.optional(
    v.pipe(
      argv('expected an argv list, e.g. ["./notify.sh"]'),
      v.description('Run this (no shell; relative to the config folder); the event as JSON on stdin, BOT_WATCHDOG_* in the environment'),
    ),
  ),
  url: v.optional(
    v.pipe(
      nonEmptyString(),
      v.description('POST the event as JSON to this http(s) URL'),
      // The value is not echoed: a webhook URL often carries its token.
      judged<string>((url) => (urlProblem(url, ['http:', 'https:']) ? 'expected an http(s) URL like "https://example.com/hook"' : undefined), { echo: false }),
    ),
  ),
  timeout: v.optional(positiveDuration('Time a run may take; then it is killed or abandoned'), DEFAULT_HOOK_TIMEOUT_MS),
});

/** Shorter tokens could be guessed; 16 characters from `openssl rand -hex 16` (32) are plenty. */
export const MIN_STATUS_TOKEN_LENGTH = 16;

const statusSchema = section({
  listen: v.optional(
    v.pipe(
      v.union([v.number('expected "host:port" or a port number'), str()], 'expected "host:port" (e.g. "127.0.0.1:9465") or a port number'),
      v.description('Serve /healthz, /status, /metrics and the dashboard here: "127.0.0.1:9465" or a port (127.0.0.1). Off when absent'),
      judged<string | number>((listen) => {
        const parsed = parseListenAddress(listen);
        return 'problem' in parsed ? parsed.problem : undefined;
      }),
    ),
  ),
  token: v.optional(
    v.pipe(
      str(),
      v.minLength(MIN_STATUS_TOKEN_LENGTH, `expected at least ${MIN_STATUS_TOKEN_LENGTH} characters`),
      v.description('Required on every request as "Authorization: Bearer <token>" (secret: never logged); needed for a non-loopback status.listen'),
    ),
  ),
});

export const configSchema = v.strictObject({
  $schema: v.optional(str()),
  command: v.optional(
    v.pipe(argv('expected the bot\'s argv as a list of strings, e.g. ["python3", "main.py"]'), v.description('argv of the bot, run without a shell')),
  ),
  cwd: v.optional(v.pipe(nonEmptyString(), v.description('Working directory of the bot (relative to the config file)'))),
  env: v.optional(v.pipe(v.record(v.string(), str(), 'expected an object of string values'), v.description('Extra environment variables')), {}),
  restart: restartSchema,
  stop: stopSchema,
  log: logSchema,
  backend: backendSchema,
  probes: probesSchema,
  startup: startupSchema,
  state: stateSchema,
  hooks: v.optional(
    v.pipe(
      v.array(hookSchema, 'expected a list of hooks, e.g. [{ "on": ["child.stop"], "command": ["./notify.sh"] }]'),
      v.description('Commands and webhooks run on log events'),
    ),
    [],
  ),
  status: statusSchema,
});

/** The config as written (durations as strings or numbers, keys optional). */
export type ConfigInput = v.InferInput<typeof configSchema>;
/** The config after defaults and parsing (durations in milliseconds). */
export type ParsedConfig = v.InferOutput<typeof configSchema>;
