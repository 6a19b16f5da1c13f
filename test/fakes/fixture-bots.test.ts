// The fixture bots link to the fake Mirai, and after their link drops they stay alive but deaf:
// no reconnect, no exit. That alive-but-deaf process is what the watchdog must catch.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { FakeMirai } from '../helpers/fake-mirai.js';
import { waitFor, waitUntil } from '../helpers/wait.js';
import { PYTHON, requireTool } from '../helpers/require-tool.js';

const KEY = 'fixture-key';
const QQ = 123456789;
const BOTS = new URL('../fixtures/bots/', import.meta.url).pathname;
const CLOSE_LINE = /^WebSocket 通道意外关闭。code: 1006, reason: /;

/** A fixture bot process with its output lines (stdout and stderr). */
class BotProcess {
  readonly lines: string[] = [];
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private readonly output = new EventEmitter();

  constructor(command: string, script: string, env: Record<string, string>) {
    this.child = spawn(command, [join(BOTS, script)], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      createInterface({ input: stream! }).on('line', (line) => {
        this.lines.push(line);
        this.output.emit('line', line);
      });
    }
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The first output line (already printed or still to come) that matches. */
  async line(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
    const seen = this.lines.find((l) => pattern.test(l));
    if (seen !== undefined) return seen;
    try {
      return await waitFor<string>(this.output, 'line', (l) => pattern.test(l), timeoutMs);
    } catch (err) {
      throw new Error(`${(err as Error).message}\nwanted ${pattern}; output so far:\n${this.lines.join('\n')}`);
    }
  }

  async kill(): Promise<void> {
    if (this.alive) this.child.kill('SIGKILL');
    await this.exited;
  }
}

function startBot(t: TestContext, kind: 'mirai-js' | 'python', fake: FakeMirai, env: Record<string, string> = {}) {
  const [command, script] = kind === 'mirai-js' ? [process.execPath, 'mirai-js-bot.mjs'] : ['python3', 'qchatgpt_like.py'];
  const bot = new BotProcess(command, script, {
    MIRAI_URL: fake.url,
    MIRAI_VERIFY_KEY: KEY,
    MIRAI_QQ: String(QQ),
    ...env,
  });
  t.after(() => bot.kill());
  return bot;
}

async function startFake(t: TestContext): Promise<FakeMirai> {
  const fake = await FakeMirai.start({ verifyKey: KEY, bots: [QQ] });
  t.after(() => fake.stop());
  return fake;
}

/** After the drop: the bot printed the close line, is alive, and did not reconnect in 1.5 s. */
async function assertDeafAfterDrop(fake: FakeMirai, bot: BotProcess): Promise<void> {
  const gone = fake.waitForDisconnect();
  assert.equal(fake.dropConnection(), 1);
  await gone;
  await bot.line(CLOSE_LINE);
  // The one bounded negative wait: a bot that reconnects does so at once against a healthy fake.
  const reconnected = await fake.waitForConnection(undefined, 1500).then(
    () => true,
    () => false,
  );
  assert.equal(reconnected, false, 'the bot reconnected');
  assert.equal(bot.alive, true, 'the bot exited');
  assert.equal((await fetch(`${fake.url}/about`)).status, 200, 'the fake is healthy');
}

test('mirai-js bot: links with its session, hears events, and is alive but deaf after a drop', async (t) => {
  const fake = await startFake(t);
  const connected = fake.waitForConnection(undefined, 15_000);
  const bot = startBot(t, 'mirai-js', fake);
  const conn = await connected;
  await bot.line(/^bot: connected$/);
  assert.deepEqual([conn.path, conn.qq], ['/all', QQ]);
  const upgrade = fake.requests.find((r) => r.upgrade);
  assert.deepEqual(upgrade?.query, { sessionKey: conn.sessionKey, verifyKey: KEY });

  fake.pushEvent({ type: 'FriendMessage', sender: { id: 42, nickname: 'a', remark: '' }, messageChain: [] });
  await bot.line(/^bot: message from 42$/);
  await assertDeafAfterDrop(fake, bot);
});

test('mirai-js bot: a backend that is down at start is a printed failure and exit 1', async (t) => {
  const fake = await startFake(t);
  await fake.stop();
  const bot = startBot(t, 'mirai-js', fake);
  assert.equal(await bot.exited, 1);
  await bot.line(/^bot: open failed: .*ECONNREFUSED/);
});

test('qchatgpt_like.py: links with headers, hears events, keeps alive with about, deaf after a drop', { skip: requireTool(...PYTHON) }, async (t) => {
  const fake = await startFake(t);
  const dir = mkdtempSync(join(tmpdir(), 'qchatgpt-like-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const heartbeatFile = join(dir, 'bot.log');
  const connected = fake.waitForConnection(undefined, 15_000);
  const keepalive = waitFor<{ text: string }>(fake, 'frame', undefined, 15_000);
  const bot = startBot(t, 'python', fake, { BOT_KEEPALIVE_SECONDS: '0.2', BOT_HEARTBEAT_FILE: heartbeatFile });
  const conn = await connected;
  await bot.line(/^bot: connected$/);
  const upgrade = fake.requests.find((r) => r.upgrade);
  assert.deepEqual([upgrade?.path, upgrade?.query], ['/all', {}]);
  assert.deepEqual([upgrade?.headers['verifykey'], upgrade?.headers['qq']], [KEY, String(QQ)]);
  assert.equal(conn.qq, QQ);

  assert.deepEqual(JSON.parse((await keepalive).text), { syncId: '1', command: 'about', subCommand: null, content: {} });
  fake.pushEvent({ type: 'BotOnlineEvent', qq: QQ });
  await bot.line(/^bot: event BotOnlineEvent$/);
  await waitUntil(() => existsSync(heartbeatFile));
  await assertDeafAfterDrop(fake, bot);
});

test('qchatgpt_like.py: a refused connect prints NetworkError and leaves the process alive', { skip: requireTool(...PYTHON) }, async (t) => {
  const fake = await startFake(t);
  await fake.fault('refuse');
  const bot = startBot(t, 'python', fake);
  await bot.line(/^NetworkError: 无法连接到 mirai。请检查 mirai-api-http 是否启动，地址与端口是否正确。$/);
  await fake.clearFaults();
  // The adapter thread is gone for good: the healed backend sees no connection.
  const connected = await fake.waitForConnection(undefined, 1500).then(
    () => true,
    () => false,
  );
  assert.equal(connected, false);
  assert.equal(bot.alive, true);
});

test('qchatgpt_like.py: a clean close from the server prints its code', { skip: requireTool(...PYTHON) }, async (t) => {
  const fake = await FakeMirai.start({ verifyKey: 'another-key', bots: [QQ] });
  t.after(() => fake.stop());
  const bot = startBot(t, 'python', fake);
  await bot.line(/^bot: link refused: /);
  await bot.line(/^WebSocket 通道意外关闭。code: 1000, reason: Auth Key错误$/);
  assert.equal(bot.alive, true);
});
