import { Writable } from 'node:stream';
import pino from 'pino';
import { EventLog } from '../../src/log/events.js';

export interface LogRecord {
  event?: string;
  level: string;
  msg?: string;
  [key: string]: unknown;
}

/** An event log that keeps its records in memory, for asserting on events. */
export function memoryLogger(level = 'debug'): { logger: EventLog; records: LogRecord[]; events: (name: string) => LogRecord[] } {
  const records: LogRecord[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split('\n')) if (line) records.push(JSON.parse(line) as LogRecord);
      callback();
    },
  });
  const logger = new EventLog(pino({ level, formatters: { level: (label) => ({ level: label }) } }, stream));
  return { logger, records, events: (name) => records.filter((r) => r.event === name) };
}

/** Parses JSON log lines (as the CLI writes them on stderr); other lines are skipped. */
export function parseLogLines(text: string): LogRecord[] {
  const out: LogRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as LogRecord);
    } catch {
      // a bot's own output line that happens to start with a brace
    }
  }
  return out;
}
