// A fake backend in a process of its own, so a benchmark (or test) can SIGKILL it like a crashed
// Mirai. Started by FakeBackendProcess (fake-backend-client.ts) through fork + IPC.
// argv: <mirai|onebot> <port> <json options>
import { FakeMirai } from '../../test/helpers/fake-mirai.js';
import { FakeOneBot } from '../../test/helpers/fake-onebot.js';
import type { Fault, SimpleFault } from '../../test/helpers/fake-backend.js';

export type FakeCommand =
  | { id: number; op: 'fault'; fault: Fault | SimpleFault | null }
  | { id: number; op: 'dropConnections' }
  | { id: number; op: 'connections' };

const [kind = 'mirai', port = '0', options = '{}'] = process.argv.slice(2);
const opts = { ...(JSON.parse(options) as Record<string, unknown>), port: Number(port) };
const fake = kind === 'onebot' ? await FakeOneBot.start(opts) : await FakeMirai.start(opts);
const send = (message: unknown) => process.send?.(message);
send({ ready: true, port: fake.port });

process.on('message', (message: FakeCommand) => {
  // The time each fault took effect, taken just before it is applied (same clock as the logs).
  const at = Date.now();
  if (message.op === 'fault') {
    void fake.fault(message.fault).then(() => send({ id: message.id, at }));
  } else if (message.op === 'dropConnections') {
    send({ id: message.id, at, dropped: fake.dropConnection() });
  } else if (message.op === 'connections') {
    send({ id: message.id, at, connections: fake.connections().map((c) => c.path) });
  }
});
process.on('disconnect', () => void fake.stop().then(() => process.exit(0)));
