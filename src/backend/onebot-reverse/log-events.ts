import type { HealthReporter } from '../../health/types.js';
import type { EventLog } from '../../log/events.js';
import type { OneBotReverseBackend } from './backend.js';

const probe = 'onebot-reverse';

/**
 * Logs what the NapCat link does, as the README's "Log events" table says. Transitions only: a
 * heartbeat, a message or a repeated refusal costs no log line.
 */
export function logOneBotReverse(backend: OneBotReverseBackend, logger: EventLog, health?: HealthReporter): void {
  const beatSeen = new Set<number>();
  const listenErrors = new Set<string>();

  backend.on('listening', ({ address }) =>
    logger.emit('backend.listening', { probe, address }, `waiting for NapCat on ws://${address} (any path)`),
  );
  backend.on('listen-error', ({ address, code, reason, retryInMs }) => {
    const key = code ?? reason;
    // Once per distinct error: the retries that follow say nothing new.
    if (listenErrors.has(key)) return;
    listenErrors.add(key);
    logger.emit('backend.listen-error', { probe, address, code: code ?? null, reason, retryInMs }, `cannot listen on ${address}: ${reason}; trying again in ${retryInMs}ms`);
  });
  backend.on('connection', ({ id, selfId, role, path, remote }) =>
    logger.emit('ws.up', { probe, connection: id, selfId, role, path, remote }, 'NapCat connected'),
  );
  backend.on('disconnection', ({ id, code, reason }) => {
    beatSeen.delete(id);
    logger.emit('ws.lost', { probe, connection: id, cause: 'closed', closeCode: code, reason }, `NapCat's link closed (code ${code})`);
  });
  backend.on('heartbeat', ({ id, intervalMs }) => {
    if (beatSeen.has(id)) return;
    beatSeen.add(id);
    logger.emit('ws.heartbeat', { probe, connection: id, intervalMs: intervalMs ?? null }, `NapCat sends a heartbeat every ${intervalMs ?? '?'}ms`);
  });
  backend.on('ready', ({ selfId, intervalMs, downMs }) =>
    logger.emit('backend.ready', { probe, selfId, intervalMs, ...(downMs === undefined ? {} : { downMs }) }, `NapCat is linked (account ${selfId ?? 'unknown'}, heartbeat every ${intervalMs}ms)`),
  );
  backend.on('down', ({ cause, reason, closeCode, silentMs }) =>
    logger.emit('backend.down', { probe, cause, lastReason: reason, closeCode, silentMs }, `NapCat is down: ${reason} (the bot is left running: NapCat reconnects to it by itself)`),
  );
  backend.on('blip', ({ closeCode, downMs }) =>
    logger.emit('backend.blip', { probe, closeCode, downMs, lastReason: 'closed', reconnect: 'NapCat reconnected' }, `NapCat's link dropped and came back after ${downMs}ms`),
  );
  backend.on('account-offline', ({ cause, tag, message, selfId }) =>
    logger.emit(
      'backend.account-offline',
      { probe, type: cause, tag, message, selfId },
      `NapCat's QQ account ${selfId ?? ''} is offline${message ? `: ${message}` : ''} (the bot is left running)`,
    ),
  );
  backend.on('account-online', ({ offlineMs, selfId }) =>
    logger.emit('backend.account-online', { probe, type: 'heartbeat', offlineMs, selfId }, `NapCat's QQ account is online again after ${offlineMs}ms`),
  );
  backend.on('refused', ({ status, reason, remote }) => {
    if (status === 503) {
      // The server reports these at most once per source a minute, with a count.
      logger.emit('backend.refused', { probe, status, reason, remote }, `refused a connection from ${remote}: ${reason}`);
    } else {
      // Our token and NapCat's differ: our config (or NapCat's) is wrong, not NapCat. The health
      // sink logs probe.misconfigured once per distinct reason.
      health?.report({ probe, verdict: 'misconfigured', reason: `refused NapCat's connection (${status}): ${reason}`, latencyMs: 0, evidence: { status, remote } });
    }
  });
  backend.on('garbage', ({ id, reason }) =>
    logger.emit('backend.garbage', { probe, connection: id, reason }, `a frame that is not OneBot from NapCat's link: ${reason}`),
  );
}
