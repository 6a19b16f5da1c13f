// The dashboard in real headless Chromium (Debian's chromium, driven by playwright-core) against a
// real watchdog: it renders, shows the bot's pid, shows a restart and its reason once the bot is
// killed, escapes what it shows, and logs no console error.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { chromium, type Browser, type Page } from 'playwright-core';
import { superviseWithEndpoint } from '../helpers/status-watchdog.js';
import { requireTool } from '../helpers/require-tool.js';

// The page's globals as the callbacks below (run in the page) use them: this Node project has no DOM types.
interface PageElement {
  textContent: string | null;
  querySelector(selector: string): PageElement | null;
}
declare const document: { getElementById(id: string): PageElement | null; querySelector(selector: string): PageElement | null };
declare const window: { __injected?: number };

const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'dashboard-token-5e1f0a9b7c';
/** A file name that would run script if the page ever parsed data as HTML. */
const HOSTILE = '<img src=x onerror=window.__injected=1>';

async function browser(t: TestContext): Promise<Browser> {
  const launched = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  t.after(() => launched.close());
  return launched;
}

/** Every console error and uncaught exception of the page. */
function problems(page: Page): string[] {
  const found: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') found.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => found.push(`pageerror: ${error.message}`));
  return found;
}

const text = (page: Page, selector: string) => page.locator(selector).first().textContent();

/** page.waitForFunction, failing with what the page shows (probes, timeline) instead of a bare timeout. */
async function waitForPage(page: Page, predicate: (arg: string) => boolean, arg: string, what: string): Promise<void> {
  try {
    await page.waitForFunction(predicate, arg, { timeout: 30_000 });
  } catch (error) {
    const shown = await page.evaluate(() =>
      ['health-reason', 'bot-pid', 'probes', 'timeline'].map((id) => `${id}: ${document.getElementById(id)?.textContent ?? ''}`).join('\n'),
    ).catch(() => '(page gone)');
    throw new Error(`waiting for ${what}: ${(error as Error).message.split('\n')[0]}\n--- the page shows ---\n${shown}`);
  }
}

test('the dashboard renders the bot, its probes and a restart with its reason, without a console error', { skip: requireTool(CHROMIUM, 'chromium') }, async (t) => {
  const { run, port, botPid } = await superviseWithEndpoint(t, {}, { heartbeatName: HOSTILE });
  const page = await (await browser(t)).newPage({ viewport: { width: 1280, height: 900 } });
  const errors = problems(page);
  await page.goto(`http://127.0.0.1:${port}/`);

  await waitForPage(page, (pid) => document.getElementById('bot-pid')?.textContent === pid, String(botPid), 'the bot\'s pid');
  assert.equal(await text(page, '#bot-state'), 'running');
  assert.equal(await text(page, '#conn-text'), 'live');
  assert.equal(await text(page, '#backend-kind'), 'mirai');
  // Every probe gets a row with its verdict and a sparkline once it has reported a few times.
  await waitForPage(
    page,
    (probes) =>
      probes.split(',').every((probe) => {
        const row = document.querySelector(`tr[data-probe="${probe}"]`);
        return row?.querySelector('.pill')?.textContent === 'healthy' && row.querySelector('svg.spark polyline') !== null;
      }),
    'heartbeat,mirai-http,mirai-ws',
    'every probe healthy, with a sparkline',
  );
  await waitForPage(page, () => document.getElementById('backend-state')?.textContent === 'up', '', 'the backend up');
  assert.equal(await text(page, '#account-state'), 'online');
  assert.equal(await text(page, '#health'), 'healthy');

  // What the watchdog reports is shown as text, never run.
  assert.ok((await text(page, '#bot-command'))?.includes(HOSTILE));
  assert.equal(await page.evaluate(() => window.__injected), undefined);
  assert.equal(await page.locator('img').count(), 0);

  process.kill(botPid, 'SIGKILL');
  const respawn = await run.waitForEvent('child.spawn', (r) => r.pid !== botPid);
  await waitForPage(page, (pid) => document.getElementById('bot-pid')?.textContent === pid, String(respawn.pid), 'the new pid');
  const restart = page.locator('#timeline li[data-kind="restart"]').first();
  await restart.waitFor();
  assert.equal(await restart.locator('.kind').textContent(), 'exited');
  assert.match((await restart.textContent()) ?? '', /restart.*killed by SIGKILL; attempt 1/);
  assert.match((await text(page, '#timeline li[data-kind="exit"]')) ?? '', new RegExp(`pid ${botPid} exited.*killed by SIGKILL`));
  await waitForPage(page, () => document.getElementById('restarts')?.textContent === '1', '', 'one restart');
  assert.match((await text(page, '#last-restart')) ?? '', /^exited, \d+s ago$/);

  await page.screenshot({ path: `${process.env.TMPDIR ?? '/tmp'}/bot-watchdog-dashboard-test.png`, fullPage: true });
  assert.deepEqual(errors, []);
});

test('with status.token the browser asks for it (Basic, the token as password) and the live updates work with it', { skip: requireTool(CHROMIUM, 'chromium') }, async (t) => {
  const { port, botPid } = await superviseWithEndpoint(t, { token: TOKEN });
  const launched = await browser(t);
  // Without credentials the browser is challenged (headless Chromium gives up on it at once).
  const denied = await (await launched.newPage()).goto(`http://127.0.0.1:${port}/`).catch((error: Error) => error);
  assert.ok(denied instanceof Error && /ERR_INVALID_AUTH_CREDENTIALS/.test(denied.message), String(denied));

  const context = await launched.newContext({ httpCredentials: { username: 'operator', password: TOKEN } });
  const page = await context.newPage();
  const errors = problems(page);
  await page.goto(`http://127.0.0.1:${port}/`);
  await waitForPage(page, (pid) => document.getElementById('bot-pid')?.textContent === pid, String(botPid), 'the bot\'s pid');
  assert.equal(await text(page, '#conn-text'), 'live');
  assert.doesNotMatch(await page.content(), new RegExp(TOKEN));
  assert.deepEqual(errors, []);
});
