// Issue 17.6: an env secret that is also on the command line, and a password in the user info of
// a URL in an env value, must not reach any place the watchdog prints or stores: the log
// (watchdog.start, child.spawn…), state.json, the status page, hook payloads, `status` and `config`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { get } from '../helpers/status-client.js';
import { waitUntil } from '../helpers/wait.js';
import { fixture, runWatchdog } from '../helpers/watchdog-process.js';

const ENV_SECRET = 'EnvTok3nXq81';
const DB_PASSWORD = 'PgPassw0rd9';
const STATUS_TOKEN = 'status-token-8d2f61c0a4';
const SECRETS = [ENV_SECRET, DB_PASSWORD, STATUS_TOKEN];

function assertClean(text: string, where: string): void {
  for (const secret of SECRETS) assert.ok(!text.includes(secret), `${where} leaks ${secret}:\n${text.slice(0, 4000)}`);
}

function project(): { dir: string; config: string; hookOut: string; stateFile: string } {
  const dir = mkdtempSync(join(tmpdir(), 'bw-secrets17-'));
  const hookOut = join(dir, 'hook.jsonl');
  const config = join(dir, 'watchdog.config.json');
  writeFileSync(
    config,
    JSON.stringify({
      // The bot gets its token on the command line as well as in its environment.
      command: [process.execPath, fixture('bots/healthy.mjs'), '--token', ENV_SECRET, `--db=postgres://u:${DB_PASSWORD}@h/db`],
      env: { BOT_TOKEN: ENV_SECRET, DATABASE_URL: `postgres://u:${DB_PASSWORD}@h/db`, PLAIN: `pass ${DB_PASSWORD} here` },
      log: { format: 'json' },
      status: { listen: '127.0.0.1:0', token: STATUS_TOKEN },
      hooks: [
        {
          on: ['watchdog.start', 'child.spawn'],
          command: [process.execPath, '-e', `process.stdin.pipe(require('fs').createWriteStream(${JSON.stringify(hookOut)}, { flags: 'a' }))`],
        },
      ],
    }),
  );
  return { dir, config, hookOut, stateFile: join(dir, '.bot-watchdog', 'state.json') };
}

test('an env secret on the command line and a URL password in an env value: scrubbed from logs, state.json, /status, hooks, status, config', async (t) => {
  const { dir, config, hookOut, stateFile } = project();
  t.after(() => rmSync(dir, { recursive: true, force: true }));

  const printed = runWatchdog(['config', '--config', config]);
  assert.equal((await printed.exited).code, 0, printed.stderr());
  const effective = JSON.parse(printed.stdout()) as { command: string[]; env: Record<string, string> };
  assert.equal(effective.env['DATABASE_URL'], 'postgres://***@h/db', 'URL user info hidden, as the docs promise');
  assert.equal(effective.env['BOT_TOKEN'], '***');
  assert.equal(effective.env['PLAIN'], 'pass *** here', 'the password wherever else it is written');
  assert.deepEqual(effective.command.slice(2), ['--token', '***', '--db=postgres://***@h/db']);
  assertClean(printed.stdout() + printed.stderr(), 'config');

  const run = runWatchdog(['run', '--config', config]);
  try {
    const start = await run.waitForEvent('watchdog.start');
    const spawn = await run.waitForEvent('child.spawn');
    assert.match(JSON.stringify(start), /\[redacted\]/);
    assert.match(JSON.stringify(spawn), /"--token","\[redacted\]"/);
    const listening = await run.waitForEvent('status.listening');
    const auth = { authorization: `Bearer ${STATUS_TOKEN}` };
    const status = await get(Number(listening.port), '/status', { headers: auth });
    assert.equal(status.status, 200);
    assert.match(status.body, /--token/);
    assertClean(status.body, '/status');
    await waitUntil(() => existsSync(stateFile) && readFileSync(stateFile, 'utf8').includes('--token'), 10_000);
    assertClean(readFileSync(stateFile, 'utf8'), 'state.json');
    await waitUntil(() => existsSync(hookOut) && readFileSync(hookOut, 'utf8').includes('child.spawn'), 10_000);
    const hooks = readFileSync(hookOut, 'utf8');
    assert.match(hooks, /\[redacted\]/);
    assertClean(hooks, 'hook payloads');
    for (const args of [[], ['--json']]) {
      const statusCli = runWatchdog(['status', '--config', config, ...args]);
      assert.equal((await statusCli.exited).code, 0, statusCli.stderr());
      assertClean(statusCli.stdout() + statusCli.stderr(), `status ${args.join(' ')}`);
    }
  } finally {
    run.kill('SIGTERM');
    await run.exited;
  }
  assertClean(run.stderr(), 'the log');
});
