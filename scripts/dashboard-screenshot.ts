// Takes docs/dashboard.png, the README's picture of the dashboard: a real watchdog (the built CLI)
// supervising the QChatGPT-shaped fixture bot beside a fake mirai-api-http; the backend drops its
// links once and the bot is killed once, so the timeline has something to show.
// Run: npm run build && node --import tsx scripts/dashboard-screenshot.ts [out.png]
// Needs Debian's chromium (/usr/bin/chromium), and a CJK font (fonts-wqy-microhei) for the bot's Chinese line.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { FakeMirai } from '../test/helpers/fake-mirai.js';
import { fixture, runWatchdog } from '../test/helpers/watchdog-process.js';

const out = process.argv[2] ?? fileURLToPath(new URL('../docs/dashboard.png', import.meta.url));
const KEY = 'yirimirai-demo-key';
const QQ = 1234567890;

const mirai = await FakeMirai.start({ verifyKey: KEY, bots: [QQ] });
const dir = mkdtempSync(join(tmpdir(), 'qchatgpt-'));
copyFileSync(fixture('bots/qchatgpt_like.py'), join(dir, 'main.py'));
mkdirSync(join(dir, 'logs'));
writeFileSync(
  join(dir, 'watchdog.config.json'),
  JSON.stringify({
    command: ['python3', 'main.py'],
    env: { PYTHONUNBUFFERED: '1', MIRAI_URL: mirai.url, MIRAI_VERIFY_KEY: KEY, MIRAI_QQ: String(QQ), BOT_KEEPALIVE_SECONDS: '60', BOT_HEARTBEAT_FILE: 'logs/qchatgpt.log' },
    backend: { kind: 'mirai', url: mirai.url, verifyKey: KEY, qq: QQ },
    probes: {
      backend: { interval: '500ms' },
      websocket: { pingInterval: '1s' },
      output: { patterns: ['WebSocket 通道意外关闭'] },
      link: { grace: '3s', interval: '500ms' },
      heartbeat: { file: 'logs/qchatgpt.log', maxAge: '30s', interval: '500ms' },
    },
    startup: { grace: '2s' },
    restart: { initialDelay: '1s' },
    log: { format: 'json' },
    status: { listen: '127.0.0.1:0' },
  }),
);
const run = runWatchdog(['run', '--config', join(dir, 'watchdog.config.json')], { cwd: dir });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const { port } = await run.waitForEvent('status.listening');
  const first = await run.waitForEvent('child.spawn');
  await sleep(6000);
  // The backend drops every WebSocket: the bot prints YiriMirai's line and goes deaf; the watchdog sees both.
  await mirai.fault('drop');
  await sleep(1500);
  await mirai.fault(null);
  const second = await run.waitForEvent('child.spawn', (r) => r.pid !== first.pid, 30_000);
  await sleep(6000);
  process.kill(Number(second.pid), 'SIGKILL');
  await run.waitForEvent('child.spawn', (r) => r.pid !== first.pid && r.pid !== second.pid, 30_000);
  await sleep(12_000);

  const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1, colorScheme: 'light' });
  await page.goto(`http://127.0.0.1:${String(port)}/`);
  await page.waitForSelector('#timeline li');
  await sleep(500);
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  run.kill('SIGTERM');
  await run.exited;
  await mirai.stop();
  rmSync(dir, { recursive: true, force: true });
}
