// The README's QQ group recipe (examples/hooks/qq-group.mjs) run as a real command hook against a
// OneBot v11 HTTP API on 127.0.0.1: send_group_msg with the token, the group and the event.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HookRunner } from '../../src/hooks/hook-runner.js';
import { postUrlHook } from '../../src/hooks/post-url-hook.js';
import { runCommandHook } from '../../src/hooks/run-command-hook.js';
import { createRedactor } from '../../src/log/redact.js';
import { REPO_ROOT } from '../helpers/watchdog-process.js';
import { HttpSink } from './http-sink.js';

const RECIPE = join(REPO_ROOT, 'examples', 'hooks', 'qq-group.mjs');

function runnerWith(env: Record<string, string>) {
  const failures: Array<Record<string, unknown>> = [];
  const dir = mkdtempSync(join(tmpdir(), 'bw-qq-hook-'));
  const runner = new HookRunner({
    hooks: [{ on: ['child.stop', 'restart.giveup'], command: [process.execPath, RECIPE], timeout: 10_000 }],
    redact: createRedactor([]),
    logger: { emit: (event, fields) => failures.push({ ...fields, event }) },
    effects: {
      runCommand: (run) => runCommandHook({ ...run, env: { ...run.env, ...env }, cwd: dir }),
      postUrl: (run) => postUrlHook({ ...run, userAgent: 'test' }),
    },
  });
  return { runner, failures };
}

test('qq-group.mjs sends the event to the group through send_group_msg', async () => {
  const onebot = await HttpSink.start();
  onebot.answer = { status: 'ok', retcode: 0, data: { message_id: 1 } };
  try {
    const { runner, failures } = runnerWith({ ONEBOT_HTTP: onebot.url, QQ_GROUP: '123456', ONEBOT_ACCESS_TOKEN: 'tok-en' });
    runner.handle({ event: 'child.stop', level: 'info', msg: 'stopping the bot (link-lost)', reason: 'link-lost', pid: 4388, time: '2025-01-01T00:00:00.000Z' });
    await runner.drain(10_000);
    assert.deepEqual(failures, []);
    assert.equal(onebot.received.length, 1);
    const [request] = onebot.received;
    assert.equal(request?.path, '/send_group_msg');
    assert.equal(request?.headers['authorization'], 'Bearer tok-en');
    assert.deepEqual(JSON.parse(request?.body ?? ''), {
      group_id: 123456,
      message: '[bot-watchdog] child.stop: stopping the bot (link-lost)\nreason: link-lost\npid: 4388\ntime: 2025-01-01T00:00:00.000Z',
    });
  } finally {
    await onebot.stop();
  }
});

test('qq-group.mjs: a OneBot error or a missing group is a hook failure with a reason', async () => {
  const onebot = await HttpSink.start();
  onebot.answer = { status: 'failed', retcode: 1200, data: null };
  try {
    const failing = runnerWith({ ONEBOT_HTTP: onebot.url, QQ_GROUP: '123456' });
    failing.runner.handle({ event: 'restart.giveup', level: 'error', msg: 'gave up' });
    await failing.runner.drain(10_000);
    assert.equal(failing.failures[0]?.['reason'], 'exit code 1: qq-group: send_group_msg failed: HTTP 200, retcode 1200');
    const unset = runnerWith({ ONEBOT_HTTP: onebot.url, QQ_GROUP: '' });
    unset.runner.handle({ event: 'restart.giveup', level: 'error', msg: 'gave up' });
    await unset.runner.drain(10_000);
    assert.equal(unset.failures[0]?.['reason'], 'exit code 2: qq-group: set QQ_GROUP to the group number');
  } finally {
    await onebot.stop();
  }
});
