#!/usr/bin/env node
// A bot-watchdog command hook: tells a QQ group what happened, through the OneBot v11 HTTP API
// (send_group_msg) of NapCat, go-cqhttp or Lagrange. Node 20+, nothing to install.
//   "hooks": [{ "on": ["child.stop", "restart.giveup", "backend.account-offline"],
//               "command": ["node", "qq-group.mjs"] }]
// Environment: ONEBOT_HTTP (e.g. http://127.0.0.1:3000), QQ_GROUP (the group number), and
// ONEBOT_ACCESS_TOKEN when the API has a token. The event comes from bot-watchdog in
// BOT_WATCHDOG_* variables (and as JSON on stdin).
const api = process.env.ONEBOT_HTTP ?? 'http://127.0.0.1:3000';
const group = Number(process.env.QQ_GROUP);
if (!Number.isSafeInteger(group) || group <= 0) {
  console.error('qq-group: set QQ_GROUP to the group number');
  process.exit(2);
}
const e = process.env;
const lines = [`[bot-watchdog] ${e.BOT_WATCHDOG_EVENT}: ${e.BOT_WATCHDOG_MSG ?? ''}`.trim()];
if (e.BOT_WATCHDOG_REASON) lines.push(`reason: ${e.BOT_WATCHDOG_REASON}`);
if (e.BOT_WATCHDOG_PID) lines.push(`pid: ${e.BOT_WATCHDOG_PID}`);
lines.push(`time: ${e.BOT_WATCHDOG_TIME ?? new Date().toISOString()}`);

const headers = { 'content-type': 'application/json' };
if (e.ONEBOT_ACCESS_TOKEN) headers.authorization = `Bearer ${e.ONEBOT_ACCESS_TOKEN}`;
const response = await fetch(new URL('send_group_msg', api.endsWith('/') ? api : `${api}/`), {
  method: 'POST',
  headers,
  body: JSON.stringify({ group_id: group, message: lines.join('\n') }),
  signal: AbortSignal.timeout(8000),
});
const answer = await response.json().catch(() => ({}));
if (!response.ok || answer.status !== 'ok') {
  console.error(`qq-group: send_group_msg failed: HTTP ${response.status}, retcode ${answer.retcode ?? '?'}`);
  process.exit(1);
}
