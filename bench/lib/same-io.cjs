// The I/O of an idle bot-watchdog with a QChatGPT config and nothing else, for bench/overhead.ts:
// a child with piped output, an HTTP poll every 5 s, a `ws` link with a ping every 10 s, the
// child's sockets and fds read from /proc every 2 s, a stat every 5 s. argv: <mirai http url> <key> <qq>
// [--stack]: also what no watchdog on our stack can go without — commander parsing the argv, a
// pino logger writing one line — the floor of the stack itself.
if (process.argv.includes('--stack')) {
  const { Command } = require('commander');
  new Command().allowUnknownOption().allowExcessArguments().option('--stack').parse(process.argv);
  require('pino')({ base: null }, process.stderr).info({ event: 'watchdog.start' }, 'started');
}
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const WebSocket = require('ws');

const [url, key, qq] = process.argv.slice(2).filter((arg) => arg !== '--stack');
const child = spawn('sleep', ['100000'], { stdio: ['inherit', 'pipe', 'pipe'], detached: true });
child.stdout.pipe(process.stdout);
child.stderr.pipe(process.stderr);
setInterval(() => http.get(`${url}/about`, (res) => res.resume()).on('error', () => {}), 5000);
const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/event`, { headers: { verifyKey: key, qq } });
ws.on('message', () => {});
ws.on('error', () => {});
setInterval(() => ws.ping(), 10_000);
setInterval(() => {
  const table = fs.readFileSync(`/proc/${child.pid}/net/tcp`, 'latin1');
  table.split('\n').filter((line) => line.includes(' 01 '));
  fs.readdirSync(`/proc/${child.pid}/fd`);
}, 2000);
setInterval(() => fs.stat(__filename, () => {}), 5000);
process.on('SIGTERM', () => {
  process.kill(-child.pid, 'SIGKILL');
  process.exit(0);
});
