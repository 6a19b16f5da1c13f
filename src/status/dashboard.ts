import { createHash } from 'node:crypto';
import type { StatusPage } from './server.js';

/**
 * The dashboard at `GET /`: one self-contained page (no CDN, no font or script from elsewhere,
 * works offline). It follows `/events` (server-sent events: the whole view on every change) and
 * counts uptimes on by itself between updates. Every value from the watchdog is set with
 * `textContent` or as an SVG number attribute, never parsed as HTML; the Content-Security-Policy
 * allows exactly this script and this style and nothing else.
 */

const STYLE = `
:root {
  --bg: #f4f6f9; --card: #ffffff; --text: #1c2430; --muted: #647084; --line: #e3e7ee;
  --ok: #1f9d55; --ok-bg: #e3f6ea; --bad: #d64541; --bad-bg: #fbe7e6; --warn: #b7791f; --warn-bg: #fdf3dc;
  --info: #3b6fd8; --info-bg: #e6eefc; --idle: #7b8494; --idle-bg: #eef0f4;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f141b; --card: #171e27; --text: #e4e9f0; --muted: #8d98a8; --line: #26303c;
    --ok: #43c47a; --ok-bg: #15301f; --bad: #f0706b; --bad-bg: #3a1a1a; --warn: #e2b25a; --warn-bg: #352a12;
    --info: #7aa2f7; --info-bg: #1a2740; --idle: #8d98a8; --idle-bg: #222a35;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "PingFang SC", "Microsoft YaHei", sans-serif; }
header { display: flex; align-items: center; gap: 14px; flex-wrap: wrap; padding: 18px 28px; background: var(--card); border-bottom: 1px solid var(--line); }
header h1 { margin: 0; font-size: 18px; font-weight: 650; letter-spacing: .2px; }
header .health { display: flex; align-items: center; gap: 10px; min-width: 0; flex: 1; }
header .health-reason { color: var(--muted); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.conn { font-size: 12px; color: var(--muted); display: flex; align-items: center; gap: 6px; }
.dot { width: 8px; height: 8px; border-radius: 50%; background: var(--idle); display: inline-block; }
.conn.live .dot { background: var(--ok); box-shadow: 0 0 0 3px var(--ok-bg); }
.conn.lost .dot { background: var(--bad); }
main { max-width: 1180px; margin: 0 auto; padding: 22px 28px 40px; display: grid; gap: 18px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(250px, 1fr)); gap: 18px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 16px 18px; min-width: 0; }
.card h2 { margin: 0 0 12px; font-size: 12px; font-weight: 600; text-transform: uppercase; letter-spacing: .8px; color: var(--muted); }
.big { font-size: 22px; font-weight: 650; margin-bottom: 10px; display: flex; align-items: center; gap: 10px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 5px 14px; margin: 0; }
dt { color: var(--muted); }
dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
.mono { font-family: var(--mono); font-size: 12.5px; }
.pill { display: inline-block; padding: 2px 10px; border-radius: 999px; font-size: 12px; font-weight: 600; white-space: nowrap; background: var(--idle-bg); color: var(--idle); }
.pill.ok { background: var(--ok-bg); color: var(--ok); }
.pill.bad { background: var(--bad-bg); color: var(--bad); }
.pill.warn { background: var(--warn-bg); color: var(--warn); }
.pill.info { background: var(--info-bg); color: var(--info); }
table { width: 100%; border-collapse: collapse; }
th { text-align: left; font-size: 12px; font-weight: 600; color: var(--muted); padding: 0 10px 8px 0; border-bottom: 1px solid var(--line); }
td { padding: 9px 10px 9px 0; border-bottom: 1px solid var(--line); vertical-align: middle; }
tr:last-child td { border-bottom: 0; }
td.reason { color: var(--muted); overflow-wrap: anywhere; }
td.num { font-variant-numeric: tabular-nums; white-space: nowrap; }
svg.spark { display: block; }
svg.spark polyline { fill: none; stroke: var(--info); stroke-width: 1.5; stroke-linejoin: round; stroke-linecap: round; }
svg.spark .area { fill: var(--info-bg); stroke: none; }
svg.spark .fail { fill: var(--bad); }
.empty { color: var(--muted); font-style: italic; padding: 6px 0; }
ol.timeline { list-style: none; margin: 0; padding: 0; }
ol.timeline li { display: grid; grid-template-columns: 86px 108px 1fr; gap: 12px; align-items: baseline; padding: 8px 0; border-bottom: 1px solid var(--line); }
ol.timeline li:last-child { border-bottom: 0; }
ol.timeline time { color: var(--muted); font-variant-numeric: tabular-nums; font-size: 12.5px; }
ol.timeline .what { min-width: 0; }
ol.timeline .title { font-weight: 600; }
ol.timeline .detail { color: var(--muted); overflow-wrap: anywhere; }
ol.timeline li.restart { background: linear-gradient(90deg, var(--warn-bg), transparent 60%); border-radius: 6px; }
ol.timeline li.restart, ol.timeline li.giveup { padding-left: 8px; margin-left: -8px; }
ol.timeline li.giveup { background: linear-gradient(90deg, var(--bad-bg), transparent 60%); border-radius: 6px; }
footer { color: var(--muted); font-size: 12px; text-align: center; padding-bottom: 24px; }
@media (max-width: 640px) { header, main { padding-left: 14px; padding-right: 14px; } ol.timeline li { grid-template-columns: 70px 1fr; } ol.timeline li .kind { display: none; } }
`;

const SCRIPT = `
'use strict';
(function () {
  var view = null;
  var offset = 0;
  var $ = function (id) { return document.getElementById(id); };
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function wrap(tag, child) { var node = el(tag); node.appendChild(child); return node; }
  function duration(ms) {
    if (ms === null || ms === undefined || !isFinite(ms)) return '–';
    var s = Math.max(0, Math.floor(ms / 1000));
    var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60), r = s % 60;
    if (d) return d + 'd ' + h + 'h';
    if (h) return h + 'h ' + m + 'm';
    if (m) return m + 'm ' + r + 's';
    return r + 's';
  }
  function now() { return Date.now() + offset; }
  function since(iso) { var t = Date.parse(iso); return isFinite(t) ? now() - t : null; }
  function clock(iso) {
    var d = new Date(iso);
    if (!isFinite(d.getTime())) return '';
    var p = function (n) { return (n < 10 ? '0' : '') + n; };
    return p(d.getHours()) + ':' + p(d.getMinutes()) + ':' + p(d.getSeconds());
  }
  function pill(node, text, tone, base) { node.textContent = text; node.className = (base ? base + ' ' : '') + 'pill' + (tone ? ' ' + tone : ''); }
  var STATE_TONE = { running: 'ok', backoff: 'warn', stopping: 'warn', 'waiting-backend': 'info', starting: 'info', exiting: 'bad', stopped: 'bad' };
  var VERDICT_TONE = { healthy: 'ok', unhealthy: 'bad', misconfigured: 'warn', unknown: '' };
  var KIND_TONE = { restart: 'warn', giveup: 'bad', spawn: 'ok', exit: '', stop: 'warn', probe: 'info', backend: 'info', account: 'info' };

  function svg(tag, attrs, parent) {
    var node = document.createElementNS('http://www.w3.org/2000/svg', tag);
    Object.keys(attrs).forEach(function (name) { node.setAttribute(name, String(attrs[name])); });
    if (parent) parent.appendChild(node);
    return node;
  }

  function sparkline(samples) {
    var w = 132, h = 30, pad = 3;
    var root = svg('svg', { class: 'spark', width: w, height: h, viewBox: '0 0 ' + w + ' ' + h, role: 'img' });
    if (!samples || samples.length === 0) return root;
    var max = 1;
    samples.forEach(function (s) { if (s.ms > max) max = s.ms; });
    var step = samples.length > 1 ? (w - 2 * pad) / (samples.length - 1) : 0;
    var points = samples.map(function (s, i) {
      var x = samples.length > 1 ? pad + i * step : w / 2;
      var y = h - pad - (s.ms / max) * (h - 2 * pad);
      return [Math.round(x * 10) / 10, Math.round(y * 10) / 10];
    });
    var line = points.map(function (p) { return p.join(','); }).join(' ');
    var base = ' ' + points[points.length - 1][0] + ',' + (h - pad) + ' ' + points[0][0] + ',' + (h - pad);
    svg('polygon', { class: 'area', points: line + base }, root);
    svg('polyline', { points: line }, root);
    samples.forEach(function (s, i) {
      if (s.verdict === 'unhealthy') svg('circle', { class: 'fail', cx: points[i][0], cy: points[i][1], r: 2.5 }, root);
    });
    svg('title', {}, root).textContent = samples.length + ' checks, max ' + max + ' ms';
    return root;
  }

  function renderTimes() {
    if (!view) return;
    var s = view.status;
    $('bot-uptime').textContent = s.bot && s.bot.alive ? duration(since(s.bot.startedAt)) : '–';
    $('wd-uptime').textContent = s.watchdog ? duration(since(s.watchdog.startedAt)) : '–';
    $('backend-since').textContent = view.backend.since ? duration(since(view.backend.since)) : '–';
    $('account-since').textContent = view.account.since ? duration(since(view.account.since)) : '–';
    $('last-restart').textContent = s.lastRestart ? s.lastRestart.reason + ', ' + duration(since(s.lastRestart.at)) + ' ago' : 'none';
  }

  function render() {
    var s = view.status, h = view.health;
    pill($('health'), h.healthy ? 'healthy' : 'unhealthy', h.healthy ? 'ok' : 'bad');
    $('health-reason').textContent = h.reason;
    document.title = (h.healthy ? '● ' : '▲ ') + 'bot-watchdog';

    var state = s.watchdog ? s.watchdog.state : 'unknown';
    pill($('bot-state'), state, STATE_TONE[state] || '');
    $('bot-pid').textContent = s.bot ? String(s.bot.pid) : '–';
    $('bot-command').textContent = s.bot ? s.bot.command.join(' ') : '–';
    $('restarts').textContent = String(s.restarts);
    var exit = s.lastExit;
    $('last-exit').textContent = exit ? 'pid ' + exit.pid + (exit.signal ? ', ' + exit.signal : ', code ' + exit.code) + ' at ' + clock(exit.at) : 'none';

    var backend = view.backend;
    pill($('backend-state'), backend.kind === 'none' ? 'not watched' : backend.state, backend.state === 'up' ? 'ok' : backend.state === 'down' ? 'bad' : '');
    $('backend-kind').textContent = backend.kind;
    $('backend-reason').textContent = backend.reason || '–';
    var account = view.account;
    pill($('account-state'), account.state, account.state === 'online' ? 'ok' : account.state === 'offline' ? 'bad' : '');

    if (s.watchdog) {
      $('wd-pid').textContent = String(s.watchdog.pid);
      $('wd-version').textContent = s.watchdog.version;
      $('wd-config').textContent = s.watchdog.config || '(none)';
    }

    var body = $('probes');
    body.replaceChildren();
    var names = Object.keys(s.probes).sort();
    $('no-probes').hidden = names.length > 0;
    names.forEach(function (name) {
      var probe = s.probes[name];
      var samples = view.latency[name] || [];
      var last = samples.length ? samples[samples.length - 1].ms : probe.latencyMs;
      var row = el('tr');
      row.setAttribute('data-probe', name);
      var badge = el('span');
      pill(badge, probe.verdict, VERDICT_TONE[probe.verdict]);
      var latency = last === undefined || last === null ? '–' : last + ' ms';
      row.append(el('td', 'mono', name), wrap('td', badge), el('td', 'reason', probe.reason || ''), el('td', 'num', latency));
      row.append(wrap('td', sparkline(samples)), el('td', 'num', duration(since(probe.since))));
      body.appendChild(row);
    });

    var list = $('timeline');
    list.replaceChildren();
    $('no-events').hidden = view.timeline.length > 0;
    view.timeline.forEach(function (entry) {
      var item = el('li', entry.kind);
      item.setAttribute('data-kind', entry.kind);
      var time = el('time', '', clock(entry.at));
      time.setAttribute('datetime', entry.at);
      var kind = el('span');
      pill(kind, entry.kind === 'restart' && entry.reason ? entry.reason : entry.kind, KIND_TONE[entry.kind], 'kind');
      var what = el('div', 'what');
      what.appendChild(el('span', 'title', entry.title));
      if (entry.detail) what.append(' ', el('span', 'detail', entry.detail));
      item.append(time, kind, what);
      list.appendChild(item);
    });
    renderTimes();
  }

  function connection(state, text) {
    var node = $('conn');
    node.className = 'conn ' + state;
    $('conn-text').textContent = text;
  }

  var source = new EventSource('events');
  source.onopen = function () { connection('live', 'live'); };
  source.onerror = function () { connection('lost', 'reconnecting…'); };
  source.onmessage = function (event) {
    try {
      view = JSON.parse(event.data);
    } catch (e) {
      return;
    }
    var t = Date.parse(view.now);
    if (isFinite(t)) offset = t - Date.now();
    connection('live', 'live');
    render();
  };
  setInterval(renderTimes, 1000);
})();
`;

const BODY = `
<header>
  <h1>bot-watchdog</h1>
  <div class="health"><span id="health" class="pill">connecting</span><span id="health-reason" class="health-reason"></span></div>
  <div id="conn" class="conn"><span class="dot"></span><span id="conn-text">connecting…</span></div>
</header>
<main>
  <section class="cards">
    <div class="card">
      <h2>Bot</h2>
      <div class="big"><span id="bot-state" class="pill">–</span></div>
      <dl>
        <dt>pid</dt><dd id="bot-pid" class="mono">–</dd>
        <dt>uptime</dt><dd id="bot-uptime">–</dd>
        <dt>command</dt><dd id="bot-command" class="mono">–</dd>
        <dt>restarts</dt><dd id="restarts">0</dd>
        <dt>last restart</dt><dd id="last-restart">none</dd>
        <dt>last exit</dt><dd id="last-exit">none</dd>
      </dl>
    </div>
    <div class="card">
      <h2>Backend</h2>
      <div class="big"><span id="backend-state" class="pill">–</span></div>
      <dl>
        <dt>kind</dt><dd id="backend-kind" class="mono">–</dd>
        <dt>for</dt><dd id="backend-since">–</dd>
        <dt>reason</dt><dd id="backend-reason">–</dd>
        <dt>QQ account</dt><dd><span id="account-state" class="pill">unknown</span></dd>
        <dt>for</dt><dd id="account-since">–</dd>
      </dl>
    </div>
    <div class="card">
      <h2>Watchdog</h2>
      <dl>
        <dt>pid</dt><dd id="wd-pid" class="mono">–</dd>
        <dt>uptime</dt><dd id="wd-uptime">–</dd>
        <dt>version</dt><dd id="wd-version">–</dd>
        <dt>config</dt><dd id="wd-config" class="mono">–</dd>
      </dl>
    </div>
  </section>
  <section class="card">
    <h2>Probes</h2>
    <table>
      <thead><tr><th>probe</th><th>verdict</th><th>reason</th><th>latency</th><th>recent checks</th><th>for</th></tr></thead>
      <tbody id="probes"></tbody>
    </table>
    <div id="no-probes" class="empty">No probe has reported yet.</div>
  </section>
  <section class="card">
    <h2>Timeline</h2>
    <ol id="timeline" class="timeline"></ol>
    <div id="no-events" class="empty">Nothing has happened yet.</div>
  </section>
</main>
<footer>Live from this watchdog: <span class="mono">/status</span> · <span class="mono">/metrics</span> · <span class="mono">/healthz</span></footer>
`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

export const DASHBOARD: StatusPage = {
  html: `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>bot-watchdog</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>${BODY}<script>${SCRIPT}</script>
</body>
</html>
`,
  csp: [
    "default-src 'none'",
    `script-src ${sha256(SCRIPT)}`,
    `style-src ${sha256(STYLE)}`,
    "connect-src 'self'",
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; '),
};
