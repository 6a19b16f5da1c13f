/** A log record as subscribers of the tap get it: already scrubbed of secrets. */
export interface TappedRecord {
  level: string;
  time: string;
  msg?: string;
  event?: string;
  [field: string]: unknown;
}

export type TapListener = (record: TappedRecord) => void;

/**
 * Forwards each record the logger writes to its subscribers (the hooks), as a plain object, so
 * that they need not know pino. A listener that throws is dropped from nothing and breaks nothing:
 * its error is swallowed. Records below the logger's level are not written, so not forwarded.
 */
export class LogTap {
  private readonly listeners = new Set<TapListener>();

  /** True when someone listens: the logger builds records for the tap only then. */
  get active(): boolean {
    return this.listeners.size > 0;
  }

  subscribe(listener: TapListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called by the logger with the scrubbed fields object and message of one log call. */
  publish(level: string, fields: unknown, msg: unknown): void {
    if (this.listeners.size === 0) return;
    const record: TappedRecord = {
      level,
      time: new Date().toISOString(),
      ...(fields !== null && typeof fields === 'object' && !Array.isArray(fields) ? (fields as Record<string, unknown>) : {}),
      ...(typeof msg === 'string' ? { msg } : {}),
    };
    for (const listener of this.listeners) {
      try {
        listener(record);
      } catch {
        // a subscriber's bug never reaches the code that logged
      }
    }
  }
}
