// The bot of `bot-watchdog demo`: a QQ bot shaped like QChatGPT 2.x on YiriMirai, in Node. It
// connects to mirai-api-http's WebSocket (/all, verifyKey and qq as headers) and, like
// YiriMirai, never reconnects: when the link drops it prints what YiriMirai prints and goes on
// living, deaf. After a "DemoQuiet" event it goes deaf without a word (only its lost link shows).
import { WebSocket } from 'ws';

const url = process.env['DEMO_MIRAI_WS'] ?? '';
const verifyKey = process.env['DEMO_MIRAI_KEY'] ?? '';
const qq = process.env['DEMO_MIRAI_QQ'] ?? '';
let quiet = false;

const ws = new WebSocket(`${url}/all`, { headers: { verifyKey, qq } });
ws.on('message', (data: Buffer) => {
  try {
    const frame = JSON.parse(data.toString('utf8')) as { syncId?: unknown; data?: { code?: unknown; type?: unknown } };
    if (frame.syncId === '' && frame.data?.code === 0) console.log(`demo-bot: pid ${process.pid} connected to mirai-api-http as ${qq}, listening for messages`);
    if (frame.data?.type === 'DemoQuiet') quiet = true;
  } catch {
    // not JSON: ignore, as a bot would
  }
});
ws.on('error', (error) => {
  console.error(`demo-bot: 无法连接到 mirai。(${error.message})`);
});
ws.on('close', (code, reason) => {
  if (!quiet) console.error(`demo-bot: WebSocket 通道意外关闭。code: ${code}, reason: ${reason.toString('utf8')}`);
  // The adapter is gone; the process lives on and will never answer a message again.
});
setInterval(() => {}, 1 << 30);
