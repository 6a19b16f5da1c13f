/**
 * The human form of a log record: one line per event —
 *
 *   10:00:00.123 WARN  probe.failed heartbeat: file is 600s old probe=heartbeat ageMs=600000
 *
 * time (local), level, event, message, then the other fields as short `key=value` pairs. Values
 * with spaces or quotes are JSON-quoted; long values, lists and objects are cut to a few dozen
 * characters (the JSON form, `--log-format json`, keeps everything).
 */
export interface PrettyOptions {
  /** ANSI colours (for a terminal). */
  color: boolean;
  /** Longest shown value. Default 80 characters. */
  maxValueChars?: number;
}

const LEVEL_COLORS: Record<string, string> = {
  trace: '90',
  debug: '36',
  info: '32',
  warn: '33',
  error: '31',
  fatal: '1;31',
};

const OMITTED = new Set(['time', 'level', 'event', 'msg']);

export function prettyLine(record: Record<string, unknown>, options: PrettyOptions): string {
  const paint = (code: string, text: string) => (options.color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const max = options.maxValueChars ?? 80;
  const level = typeof record.level === 'string' ? record.level : 'info';
  const parts = [
    paint('2', clock(record.time)),
    paint(LEVEL_COLORS[level] ?? '0', level.toUpperCase().padEnd(5)),
  ];
  if (typeof record.event === 'string') parts.push(paint('1', record.event));
  if (record.msg !== undefined && record.msg !== '') parts.push(oneLine(String(record.msg)));
  for (const [key, value] of Object.entries(record)) {
    if (OMITTED.has(key) || value === undefined) continue;
    parts.push(`${paint('2', `${key}=`)}${shortValue(key, value, max)}`);
  }
  return `${parts.join(' ')}\n`;
}

function clock(time: unknown): string {
  const date = new Date(typeof time === 'string' || typeof time === 'number' ? time : Date.now());
  if (Number.isNaN(date.getTime())) return String(time);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}

function oneLine(text: string): string {
  return text.replace(/\r?\n/g, '\\n');
}

function shortValue(key: string, value: unknown, max: number): string {
  if (key === 'err' && value !== null && typeof value === 'object') {
    // pino's err serializer: { type, message, stack }; the stack is in the JSON form.
    const err = value as { type?: unknown; message?: unknown };
    return cut(JSON.stringify(`${typeof err.type === 'string' ? `${err.type}: ` : ''}${String(err.message ?? '')}`), max);
  }
  if (typeof value === 'string') return /^[^\s"=\\]+$/.test(value) && value.length <= max ? value : cut(JSON.stringify(value), max);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return cut(JSON.stringify(value) ?? String(value), max);
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
