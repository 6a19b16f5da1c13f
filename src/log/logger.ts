import { createRequire } from 'node:module';
import type { DestinationStream, Logger } from 'pino';
import type PinoPretty from 'pino-pretty';
import { EventLog } from './events.js';
import { createRedactor } from './redact.js';

// pino is CommonJS: required, not imported (as cli.ts does with commander), which spares the
// watchdog Node's ESM wrapper of it for good.
const pino = createRequire(import.meta.url)('pino') as typeof import('pino').default;

export type { Logger } from 'pino';

export interface LoggerOptions {
  level: string;
  format: 'json' | 'pretty' | 'auto';
  /** Secret values (verifyKey, tokens) that must never appear in a line. */
  secrets?: readonly (string | undefined)[];
  /** Where lines go; default stderr, written synchronously so nothing is lost at exit. */
  destination?: DestinationStream;
}

/**
 * pino, JSON lines on stderr (each call passes an `event` field), pretty when asked or when
 * stderr is a terminal. Secrets are scrubbed from every field and message.
 */
export function createLogger(options: LoggerOptions): Logger {
  const redact = createRedactor(options.secrets ?? []);
  const pretty = options.format === 'pretty' || (options.format === 'auto' && process.stderr.isTTY === true);
  const destination = options.destination ?? (pretty ? prettyStream() : pino.destination({ dest: 2, sync: true }));
  return pino(
    {
      level: options.level,
      // No base pid: events carry their own `pid` (the bot's); the watchdog's is on watchdog.start.
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (record) => redact(record) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          // Objects are scrubbed in formatters.log (Errors stay Errors there, for pino's err serializer).
          const cleaned = args.map((arg) => (typeof arg === 'string' ? redact(arg) : arg)) as Parameters<typeof method>;
          method.apply(this, cleaned);
        },
      },
    },
    destination,
  );
}

/** pino-pretty is loaded only when a person is watching, so one-shot commands stay fast. */
function prettyStream(): DestinationStream {
  const require = createRequire(import.meta.url);
  const pinoPretty = require('pino-pretty') as typeof PinoPretty;
  return pinoPretty({
    destination: 2,
    sync: true,
    colorize: process.stderr.isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'hostname,event',
    messageFormat: '{event} {msg}',
  });
}

/** The watchdog's event log (src/log/events.ts) on a logger made from `options`. */
export function createEventLog(options: LoggerOptions): EventLog {
  return new EventLog(createLogger(options), createRedactor(options.secrets ?? []));
}
