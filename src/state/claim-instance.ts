import type { EventFields, EventLog } from '../log/events.js';
import { EXIT } from '../exit-codes.js';
import { acquireInstanceLock, lockPathFor, type InstanceLock, type LockDeps } from './instance-lock.js';
import { recoverOrphan } from './orphan-recovery.js';
import { readStateFile } from './state-file.js';
import { unusableStateFolder } from './unusable-folder.js';

export type Claim = { ok: true; lock: InstanceLock } | { ok: false; exitCode: number };

/**
 * What `run` does before anything is spawned (and before waiting for the backend), so that one
 * QQ account never gets two bots: take the instance lock of the state file (refuse, exit 2, if
 * another live watchdog holds it), then stop the bot a killed predecessor may have left behind.
 */
export async function claimInstance(
  options: { stateFile: string; stop: { signal: NodeJS.Signals; timeout: number } },
  logger: EventLog,
  clock: LockDeps['clock'],
): Promise<Claim> {
  const { stateFile } = options;
  const lockPath = lockPathFor(stateFile);
  const refuse = (fields: EventFields['watchdog.duplicate'], message: string, lock?: InstanceLock): Claim => {
    logger.emit('watchdog.duplicate', fields, message);
    lock?.release();
    return { ok: false, exitCode: EXIT.USAGE };
  };
  let attempt;
  try {
    attempt = await acquireInstanceLock(lockPath, { clock });
  } catch (error) {
    const unusable = unusableStateFolder(stateFile, error);
    logger.emit(
      'state.unusable',
      { folder: unusable.folder, file: lockPath, code: unusable.code ?? null, reason: unusable.why },
      unusable.message,
    );
    return { ok: false, exitCode: EXIT.USAGE };
  }
  if (!attempt.acquired) {
    const { owner } = attempt;
    return refuse(
      { pid: owner.pid, startedAt: owner.startedAt ?? null, stateFile },
      `another bot-watchdog (pid ${owner.pid}${owner.startedAt ? `, started ${owner.startedAt}` : ''}) is running with the state file ${stateFile}: ` +
        'refusing to start a second bot on the same account (stop it first, or give this bot its own state.file)',
    );
  }
  const { lock } = attempt;

  const read = readStateFile(stateFile);
  if (read.status === 'unreadable') {
    // Without it no orphan can be found; the lock still keeps a second watchdog out.
    logger.emit('state.unreadable',{ file: stateFile, reason: read.reason }, `ignoring the unreadable state file ${stateFile}: ${read.reason}`);
  }
  try {
    const outcome = await recoverOrphan(read.status === 'ok' ? read.state : undefined, { stop: options.stop, logger });
    if (outcome.kind === 'watchdog-alive') {
      const message = `another bot-watchdog (pid ${outcome.pid}) is running with the state file ${stateFile}: refusing to start a second bot on the same account`;
      return refuse({ pid: outcome.pid, stateFile }, message, lock);
    }
    if (outcome.kind === 'stopped' && outcome.survivors.length > 0) {
      const message = 'the bot of a previous watchdog could not be stopped: refusing to start a second bot on the same account';
      return refuse({ pids: outcome.survivors, stateFile }, message, lock);
    }
  } catch (error) {
    lock.release();
    throw error;
  }
  return { ok: true, lock };
}
