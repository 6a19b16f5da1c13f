import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { foreignMarkerProblem, newTreeMarker, TREE_MARKER_ENV } from '../../src/process/kill-tree.js';
import { isSameProcess, procAvailable, processStartTime } from '../../src/process/proc-stat.js';
import { bootId } from '../../src/state/identity.js';
import { recoverOrphan } from '../../src/state/orphan-recovery.js';
import { memoryLogger } from '../helpers/log-sink.js';
import { spawnTree } from '../process/spawn-tree.js';
import { sampleState } from './sample-state.js';

const skip = !procAvailable() && 'needs Linux /proc';

test('only a marker newTreeMarker makes is accepted from outside', () => {
  assert.equal(foreignMarkerProblem(newTreeMarker()), undefined);
  assert.match(foreignMarkerProblem({ name: 'PATH', value: '/usr/bin:/bin' }) ?? '', /name is not BOT_WATCHDOG_TREE/);
  assert.match(foreignMarkerProblem({ name: 'bot_watchdog_tree', value: newTreeMarker().value }) ?? '', /name/);
  for (const value of ['', 'abc', `${newTreeMarker().value}x`, newTreeMarker().value.toUpperCase(), ` ${newTreeMarker().value}`, 42]) {
    assert.match(foreignMarkerProblem({ name: TREE_MARKER_ENV, value }) ?? '', /value/, String(value));
  }
});

/** An unrelated process (not of the bot's group) that carries `env` and stays up until killed. */
async function innocent(env: Record<string, string>): Promise<{ pid: number; startTime: number; kill: () => Promise<void> }> {
  const child = spawn(process.execPath, ['-e', 'process.stdout.write("up\\n"); setInterval(() => {}, 1000)'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  await once(child.stdout, 'data');
  const pid = child.pid as number;
  return {
    pid,
    startTime: processStartTime(pid) as number,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await once(child, 'exit');
      }
    },
  };
}

for (const [label, forged] of [
  ['another variable (PATH-like)', { name: 'FORGED_MARK', value: 'everyone' }],
  ['our name with a malformed value', { name: TREE_MARKER_ENV, value: 'not-a-uuid' }],
] as const) {
  test(`a forged tree marker in the state file (${label}) never selects processes to signal`, { skip }, async () => {
    const tree = await spawnTree('obey-term.mjs');
    // Started after the bot, so a marker search would read its environment.
    const bystander = await innocent({ [forged.name]: forged.value });
    try {
      const root = tree.pids[0]!;
      const state = sampleState({
        watchdog: { ...sampleState().watchdog, pid: 999_999, startTime: 1, bootId: bootId()! },
        bot: { ...sampleState().bot!, pid: root, startTime: tree.startTimes.get(root)!, bootId: bootId()!, marker: forged },
      });
      const log = memoryLogger();
      const outcome = await recoverOrphan(state, { stop: { signal: 'SIGTERM', timeout: 5000 }, logger: log.logger });
      // The recorded bot itself (verified by pid and start time) is still stopped…
      assert.equal(outcome.kind, 'stopped');
      assert.equal(isSameProcess(root, tree.startTimes.get(root)!), false);
      // …the bystander that carries the forged entry is not touched…
      assert.equal(isSameProcess(bystander.pid, bystander.startTime), true, 'an unrelated process was signalled');
      const kills = log.events('child.kill').flatMap((r) => r.pids as number[]);
      assert.equal(kills.includes(bystander.pid), false);
      // …and the marker was reported as ignored.
      const ignored = log.events('orphan.marker-ignored');
      assert.equal(ignored.length, 1);
      assert.equal(ignored[0]?.level, 'warn');
      assert.equal(ignored[0]?.name, forged.name);
    } finally {
      await bystander.kill();
      await tree.cleanup();
    }
  });
}
