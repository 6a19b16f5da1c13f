// Mistakes in OUR mirai config must not keep a working bot down: a typo in backend.qq, a
// backend.url that leads to something else. The bot's own config is right; it must start.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { FakeMirai } from '../helpers/fake-mirai.js';
import { events, KEY, miraiJsBot, QQ, watchdog } from './backend-helpers.js';

async function fakeMirai(t: TestContext): Promise<FakeMirai> {
  const fake = await FakeMirai.start({ verifyKey: KEY, bots: [QQ] });
  t.after(() => fake.stop());
  return fake;
}

const botEnv = (fake: FakeMirai) => ({ MIRAI_URL: fake.url, MIRAI_VERIFY_KEY: KEY, MIRAI_QQ: String(QQ) });

test('a typo in backend.qq: one clear error naming the qq and the bots mirai has, and the bot is started', async (t) => {
  const fake = await fakeMirai(t);
  const typo = QQ + 1;
  const run = watchdog(t, { command: miraiJsBot, env: botEnv(fake), backend: { kind: 'mirai', url: fake.url, verifyKey: KEY, qq: typo } });
  const error = await run.waitForEvent('probe.misconfigured', (r) => r['probe'] === 'mirai-http');
  assert.equal(error['level'], 'error');
  assert.match(String(error['reason']), new RegExp(`backend\\.qq ${typo} is not a bot of this mirai, which has bot ${QQ}: fix backend\\.qq`));
  await run.waitForStdout(/bot: connected/); // the bot has the right qq: it works
  const ready = events(run, 'backend.ready')[0];
  assert.deepEqual(ready?.['degraded'], ['mirai-http', 'mirai-ws']);
  const waiting = events(run, 'backend.waiting');
  assert.ok(waiting.every((w) => /is backend\.qq right\?|connecting|first check/.test(String(w['reason']))), 'while it waited, it said why');
  assert.ok(!run.stderr().includes(KEY), 'no secret in the log');
  assert.equal(events(run, 'child.stop').length, 0);
});

test('backend.url leads to something that answers 404 on /about: misconfigured naming backend.url, as OneBot; the link decides', async (t) => {
  const fake = await fakeMirai(t);
  const url = `${fake.url}/nowhere`;
  const run = watchdog(t, { command: miraiJsBot, env: botEnv(fake), backend: { kind: 'mirai', url, wsUrl: fake.wsUrl, verifyKey: KEY, qq: QQ } });
  const error = await run.waitForEvent('probe.misconfigured', (r) => r['probe'] === 'mirai-http');
  assert.match(String(error['reason']), new RegExp(`GET /about: HTTP 404: backend\\.url \\(${url.replace(/[.]/g, '\\.')}\\) does not lead to mirai-api-http`));
  await run.waitForStdout(/bot: connected/);
  assert.deepEqual(events(run, 'backend.ready')[0]?.['degraded'], ['mirai-http']);
});
