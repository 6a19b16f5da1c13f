import { createRequire } from 'node:module';
import pino, { type DestinationStream, type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';
import type { LogTap } from './log-tap.js';
import { createRedactor } from './redact.js';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level: string;
  format: 'json' | 'pretty' | 'auto';
  /** Secret values (verifyKey, tokens) that must never appear in a line. */
  secrets?: readonly (string | undefined)[];
  /** Where lines go; default stderr, written synchronously so nothing is lost at exit. */
  destination?: DestinationStream;
  /** Gets every record written, scrubbed, as a plain object (the hooks subscribe to it). */
  tap?: LogTap;
}

/**
 * pino, JSON lines on stderr (each call passes an `event` field), pretty when asked or when
 * stderr is a terminal. Secrets are scrubbed from every field and message.
 */
export function createLogger(options: LoggerOptions): Logger {
  const redact = createRedactor(options.secrets ?? []);
  const pretty = options.format === 'pretty' || (options.format === 'auto' && process.stderr.isTTY === true);
  const tap = options.tap;
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
        logMethod(args, method, level) {
          // Objects are scrubbed in formatters.log (Errors stay Errors there, for pino's err serializer).
          const cleaned = args.map((arg) => (typeof arg === 'string' ? redact(arg) : arg)) as Parameters<typeof method>;
          method.apply(this, cleaned);
          if (tap?.active) {
            const fields = typeof args[0] === 'object' ? redact(args[0]) : {};
            tap.publish(this.levels.labels[level] ?? String(level), fields, typeof args[0] === 'object' ? cleaned[1] : cleaned[0]);
          }
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
