// "heartbeat": a file the bot touches or writes (its log file will do) must have changed within maxAge.
import { readdir as fsReaddir, stat as fsStat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { seconds } from '../human-duration.js';
import { result, type Probe, type ProbeResult } from './probe.js';

export interface HeartbeatFileOptions {
  /**
   * Absolute path. `*` and `?` in the file name (not in the folders) make it a pattern: the most
   * recently changed matching file counts (QChatGPT writes logs/qchatgpt-<start time>.log).
   */
  file: string;
  /** Older than this = hung. */
  maxAge: number;
  /** Monotonic milliseconds (the supervisor's clock). */
  now: () => number;
  /** Wall-clock milliseconds: what file mtimes are written in. */
  wallNow?: () => number;
  stat?: (path: string) => Promise<Stats>;
  readdir?: (path: string) => Promise<string[]>;
}

/** An mtime up to this far ahead of our wall clock is just timestamp granularity, not a clock step. */
const FUTURE_TOLERANCE_MS = 1000;

/** The wall clock and the monotonic clock may drift apart this much (NTP slews) before we call it a step. */
const CLOCK_TOLERANCE_MS = 1000;

/** Errors that mean "the config points at something we cannot use", never "the bot is hung". */
const MISCONFIGURED_CODES: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a part of the path is not a folder',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the name is too long',
};

/**
 * The age of the file is its wall-clock age (now − mtime), with two guards against clock steps,
 * both based on the monotonic clock and on when this probe saw each version (mtime) of the file:
 * - mtime in the future (the clock stepped back, or a file server's clock is ahead): the file
 *   counts as fresh only up to maxAge from when that mtime was FIRST seen. A bot that keeps
 *   writing makes new mtimes; a hung one leaves this one, which goes stale maxAge later.
 * - the clock stepped forward (NTP's first sync on a board without a clock, a VM resumed): once a
 *   change of mtime has been seen, the file cannot be older than the time since the previous
 *   version was last seen, whatever the wall clock says.
 * A missing file is stale (unhealthy); a path we cannot stat, a folder or another non-regular file
 * is a misconfiguration, never a reason to restart.
 */
export class HeartbeatFileProbe implements Probe {
  readonly name = 'heartbeat';
  private readonly now: () => number;
  private readonly wallNow: () => number;
  private readonly stat: (path: string) => Promise<Stats>;
  private readonly readdir: (path: string) => Promise<string[]>;
  /** The version (mtime) last seen, when it was first and last seen, and when the one before was last seen. */
  private version: { key: string; firstSeen: number; lastSeen: number; previousLastSeen: number | undefined } | undefined;
  /**
   * When the bot being watched was started (monotonic ms, the `now` clock), or undefined (a
   * one-shot check). A bot is never blamed for time before it ran: it has maxAge from its start
   * to write the file, however old the last run left it.
   */
  runStartedAt: number | undefined;

  constructor(private readonly options: HeartbeatFileOptions) {
    this.now = options.now;
    this.wallNow = options.wallNow ?? Date.now;
    this.stat = options.stat ?? ((path) => fsStat(path));
    this.readdir = options.readdir ?? ((path) => fsReaddir(path));
  }

  async check(): Promise<ProbeResult> {
    const started = performance.now();
    const { file, maxAge } = this.options;
    // Taken before the stat: whatever version the stat returns existed at or after this time.
    const seenAt = this.now();
    let stats: Stats;
    let path = file;
    try {
      ({ path, stats } = await this.resolve(file));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
      if (code === 'ENOENT') {
        const what = isPattern(file) ? `no file matches ${file}` : `${file} does not exist`;
        const upMs = this.upMs(seenAt);
        if (upMs !== undefined && upMs < maxAge) {
          // A new run that has not written it yet (the last run's file was removed, or never made).
          return result(this.name, 'healthy', `${what} yet: this run of the bot began ${seconds(upMs)} ago`, started, { file, exists: false, silentMs: Math.round(upMs), maxAgeMs: maxAge });
        }
        return result(this.name, 'unhealthy', what, started, { file, exists: false, maxAgeMs: maxAge });
      }
      const why = MISCONFIGURED_CODES[code] ?? (error as Error).message;
      return result(this.name, 'misconfigured', `cannot stat ${file}: ${why} (${code})`, started, { file, code });
    }
    if (stats.isDirectory()) {
      return result(this.name, 'misconfigured', `${path} is a folder: point probes.heartbeat.file at a file the bot writes`, started, { file: path });
    }
    if (!stats.isFile()) {
      return result(this.name, 'misconfigured', `${path} is not a regular file`, started, { file: path });
    }

    const age = this.ageOf(`${path}\0${stats.mtimeMs}`, stats.mtimeMs, seenAt);
    // Silent since the later of the file's last change and the bot's start.
    const upMs = this.upMs(seenAt);
    const silentMs = upMs === undefined ? age.ms : Math.min(age.ms, upMs);
    const details = {
      file: path,
      ...(path === file ? {} : { pattern: file }),
      ageMs: Math.round(age.ms),
      ...(silentMs < age.ms ? { silentMs: Math.round(silentMs) } : {}),
      maxAgeMs: maxAge,
      mtime: new Date(stats.mtimeMs).toISOString(),
      ...(age.note ? { clock: age.note } : {}),
    };
    let text = `${path} was last changed ${seconds(age.ms)} ago${age.note ? ` (${age.note})` : ''}`;
    if (silentMs < age.ms) text += `, before this run of the bot began ${seconds(silentMs)} ago`;
    const stale = silentMs >= maxAge;
    return result(this.name, stale ? 'unhealthy' : 'healthy', stale ? `${text}, more than maxAge ${seconds(maxAge)}` : text, started, details);
  }

  /** Milliseconds until the bot, silent this long, goes stale. */
  static dueInMs(details: Record<string, unknown> | undefined): number | undefined {
    const silent = details?.['silentMs'] ?? details?.['ageMs'];
    const maxAge = details?.['maxAgeMs'];
    return typeof silent === 'number' && typeof maxAge === 'number' ? maxAge - silent : undefined;
  }

  /** How long the watched run of the bot has been up at `now`; undefined for a one-shot check. */
  private upMs(now: number): number | undefined {
    return this.runStartedAt === undefined ? undefined : Math.max(0, now - this.runStartedAt);
  }

  /** The file, or for a pattern the most recently changed regular file that matches (ENOENT if none). */
  private async resolve(file: string): Promise<{ path: string; stats: Stats }> {
    if (!isPattern(file)) return { path: file, stats: await this.stat(file) };
    const dir = dirname(file);
    const matcher = globToRegExp(basename(file));
    let newest: { path: string; stats: Stats } | undefined;
    for (const name of await this.readdir(dir)) {
      if (!matcher.test(name)) continue;
      const path = join(dir, name);
      let stats: Stats;
      try {
        stats = await this.stat(path);
      } catch {
        continue; // removed meanwhile (log rotation)
      }
      if (stats.isFile() && (!newest || stats.mtimeMs > newest.stats.mtimeMs)) newest = { path, stats };
    }
    if (!newest) throw Object.assign(new Error(`no file matches ${file}`), { code: 'ENOENT' });
    return newest;
  }

  /** `key` names one version of the file: its path and mtime. */
  private ageOf(key: string, mtimeMs: number, now: number): { ms: number; note?: string } {
    const previous = this.version;
    if (!previous || previous.key !== key) {
      this.version = { key, firstSeen: now, lastSeen: now, previousLastSeen: previous?.lastSeen };
    } else {
      previous.lastSeen = now;
    }
    const version = this.version as NonNullable<typeof this.version>;
    const wallAge = this.wallNow() - mtimeMs;
    if (wallAge < -FUTURE_TOLERANCE_MS) {
      return { ms: now - version.firstSeen, note: `mtime is ${seconds(-wallAge)} in the future: counted from when it was first seen` };
    }
    const age = Math.max(0, wallAge);
    if (version.previousLastSeen !== undefined && age - (now - version.previousLastSeen) > CLOCK_TOLERANCE_MS) {
      // It changed after we last saw the previous version: the wall clock jumped forward.
      return { ms: now - version.previousLastSeen, note: 'the wall clock jumped forward: counted from when the previous version was last seen' };
    }
    return { ms: age };
  }
}

function isPattern(file: string): boolean {
  return /[*?]/.test(basename(file));
}

/** `*` = any run of characters, `?` = one character; everything else literal. */
function globToRegExp(glob: string): RegExp {
  const source = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`);
}
