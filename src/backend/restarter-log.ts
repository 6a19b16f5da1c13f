import type { EventLog } from '../log/events.js';
import type { BackendRestarter } from './backend-restarter.js';

/** Logs the restarter's runs as the README's "Log events" table says. */
export function logBackendRestarter(restarter: BackendRestarter, logger: EventLog): void {
  restarter.on('run', ({ attempt, problem, unhealthyForMs, command }) =>
    logger.emit(
      'backend.restart.run',
      { attempt, problem, unhealthyForMs, command },
      `the backend has been ${problem === 'down' ? 'down' : 'offline'} for ${unhealthyForMs}ms: running backend.restart.command (attempt ${attempt})`,
    ),
  );
  restarter.on('result', ({ attempt, problem, exitCode, signal, timedOut, durationMs, output, truncated, error }) => {
    const ok = exitCode === 0;
    const how = error ?? (timedOut ? 'timed out' : signal ? `killed by ${signal}` : `exit code ${exitCode}`);
    logger.emit(
      'backend.restart',
      { ok, attempt, problem, exitCode, signal, timedOut, durationMs, output, truncated, ...(error ? { error } : {}) },
      `backend.restart.command finished: ${how} after ${durationMs}ms`,
    );
  });
  restarter.on('giveup', ({ attempts, problem, unhealthyForMs }) =>
    logger.emit(
      'backend.restart.giveup',
      { attempts, problem, unhealthyForMs },
      `${attempts} backend restarts did not bring the ${problem === 'down' ? 'backend' : 'QQ account'} back: it needs a human (log the account in again, e.g. by QR code in NapCat's WebUI); no more restarts until it is healthy`,
    ),
  );
  restarter.on('reset', ({ attempts }) =>
    logger.emit('backend.restart.reset', { attempts }, 'the backend is healthy again: backend restarts start over'),
  );
}
