import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import { createLineSink, stderrTarget, type LineSink, type LineSinkOptions } from './line-sink.js';
import { prettyLine } from './pretty.js';
import { EventLog, type EventName } from './events.js';
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
  /** Where lines go; default stderr (see line-sink.ts: never blocks, bounded, errors ignored). */
  target?: LineSinkOptions['target'];
  /** Colours in the pretty form; default: when stderr is a terminal. */
  color?: boolean;
  /** Bound of lines waiting for a slow reader; default 1 MiB. */
  maxBufferedBytes?: number;
}

const sinks = new WeakMap<Logger, LineSink>();

/**
 * pino, JSON lines on stderr (each call passes an `event` field), or one pretty line per event
 * when asked or when stderr is a terminal. Secrets are scrubbed from every field and message.
 * Logging never stops supervision: lines go through a sink that never blocks and drops (and
 * counts, `log.dropped`) what a stuck reader does not take.
 */
export function createLogger(options: LoggerOptions): Logger {
  const redact = createRedactor(options.secrets ?? []);
  const pretty = options.format === 'pretty' || (options.format === 'auto' && process.stderr.isTTY === true);
  const color = options.color ?? process.stderr.isTTY === true;
  const format = pretty ? (json: string) => prettyLine(JSON.parse(json) as Record<string, unknown>, { color }) : (json: string) => json;
  const dropped: EventName = 'log.dropped';
  const sink = createLineSink({
    target: options.target ?? stderrTarget(),
    maxBufferedBytes: options.maxBufferedBytes,
    droppedLine: (count) =>
      format(
        `${JSON.stringify({
          level: 'warn',
          time: new Date().toISOString(),
          event: dropped,
          dropped: count,
          msg: `${count} log line(s) were dropped: stderr did not take them in time`,
        })}\n`,
      ),
  });
  const logger = pino(
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
    {
      write: (line: string) => {
        try {
          sink.write(format(line));
        } catch {
          // a line that cannot be formatted is not worth a crash
        }
      },
    },
  );
  sinks.set(logger, sink);
  return logger;
}

/** Waits (at most `timeoutMs`) until the lines a logger has queued are written: call before exiting. */
export function flushLogger(logger: Logger, timeoutMs: number): Promise<void> {
  return sinks.get(logger)?.flush(timeoutMs) ?? Promise.resolve();
}

/** The watchdog's event log (src/log/events.ts) on a logger made from `options`. */
export function createEventLog(options: LoggerOptions): EventLog {
  return new EventLog(createLogger(options), createRedactor(options.secrets ?? []));
}
