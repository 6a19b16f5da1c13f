// A NapCat-shaped sender in a process of its own (so the bench's /proc sampling does not share its
// event loop): connects to a bot's reverse-WebSocket port and sends message events for a while,
// then prints one JSON line {sent, answered, seconds} and exits. Used by bench/link-stall-flood.ts
// and the e2e test of a healthy reader under a flood.
// argv: <ws url> <seconds> <rate: messages per second, or "max"> [burst: messages per burst]
import { NapcatClient } from './napcat-client.js';

const [url = '', secondsText = '5', rateText = 'max', burstText = '0'] = process.argv.slice(2);
const seconds = Number(secondsText);
const burst = Number(burstText);
const client = await NapcatClient.connect(url);
const frame = JSON.stringify(client.messageEvent('a message in a busy group chat: 今天的天气怎么样？ please answer with a long reply'));
const started = performance.now();
const deadline = started + seconds * 1000;
let sent = 0;
/** Keeps at most this many bytes queued in our own socket: the kernel's send buffer does the rest. */
const HIGH_WATER = 256 * 1024;

await new Promise<void>((resolve) => {
  if (rateText === 'max') {
    const pump = () => {
      if (performance.now() >= deadline) return resolve();
      while (client.bufferedAmount < HIGH_WATER) {
        client.ws.send(frame);
        sent++;
      }
      setImmediate(pump);
    };
    pump();
    return;
  }
  // A steady rate, or bursts of `burst` messages at that average rate.
  const rate = Number(rateText);
  const step = burst > 0 ? (burst / rate) * 1000 : 1000 / rate;
  const perTick = burst > 0 ? burst : 1;
  let next = started;
  const tick = () => {
    const now = performance.now();
    if (now >= deadline) return resolve();
    while (next <= now) {
      for (let i = 0; i < perTick; i++) client.ws.send(frame);
      sent += perTick;
      next += step;
    }
    setTimeout(tick, Math.max(0, Math.min(next - now, 5)));
  };
  tick();
});
// Let the last answers come back.
await new Promise((resolve) => setTimeout(resolve, 300));
console.log(JSON.stringify({ sent, answered: client.actions.length, seconds }));
client.close();
process.exit(0);
