// A friend pinging a mirai bot through test/helpers/fake-mirai.ts until it answers "pong": the
// real-framework tests' and benches' "does the bot answer" for the YiriMirai fixture bot.
import type { FakeMirai } from './fake-mirai.js';

/** A friend's "ping" as mirai-api-http pushes it. */
export const FRIEND_PING = {
  type: 'FriendMessage',
  sender: { id: 42, nickname: 'friend', remark: '' },
  messageChain: [
    { type: 'Source', id: 1, time: 1 },
    { type: 'Plain', text: 'ping' },
  ],
};

/** Pushes the ping to `qq`'s clients every `everyMs` until the bot sends "pong"; resolves with Date.now() then. */
export async function untilPong(mirai: FakeMirai, qq: number, timeoutMs: number, everyMs = 100): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let answeredAt: number | undefined;
  const onFrame = (frame: { text: string }) => {
    if (answeredAt === undefined && /"command":\s*"sendFriendMessage"/.test(frame.text) && frame.text.includes('pong')) answeredAt = Date.now();
  };
  mirai.on('frame', onFrame);
  try {
    for (;;) {
      if (answeredAt !== undefined) return answeredAt;
      if (Date.now() > deadline) throw new Error(`no pong within ${timeoutMs} ms`);
      mirai.pushEvent(FRIEND_PING, qq);
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  } finally {
    mirai.off('frame', onFrame);
  }
}
