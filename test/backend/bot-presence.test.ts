// Is backend.qq a typo? The rule, answer by answer (no clock: it counts /botList answers).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MiraiBotPresence } from '../../src/backend/mirai/bot-presence.js';

const QQ = 123456789;
const brief = (j: ReturnType<MiraiBotPresence['observe']>) => (j.verdict === 'healthy' ? 'healthy' : `${j.verdict}: ${j.reason}`);

test('other bots there and ours never seen: unhealthy below the threshold, then misconfigured naming the qq and the bots', () => {
  const presence = new MiraiBotPresence(QQ, 3);
  assert.match(brief(presence.observe([111, 222])), /^unhealthy: bot 123456789 is not logged in to mirai, which has bots 111, 222: is backend\.qq right\?$/);
  assert.equal(presence.misconfigured, undefined);
  assert.match(brief(presence.observe([111, 222])), /^unhealthy/);
  const third = presence.observe([111, 222]);
  assert.equal(third.verdict, 'misconfigured');
  assert.equal(presence.misconfigured, 'backend.qq 123456789 is not a bot of this mirai, which has bots 111, 222: fix backend.qq (a typo?); the bot is not held back for it');
  assert.equal(brief(presence.observe([111, 222])), `misconfigured: ${presence.misconfigured}`, 'stays misconfigured, with the same reason');
});

test('ours turns up (mirai logged it in late): healthy, and no longer misconfigured', () => {
  const presence = new MiraiBotPresence(QQ, 1);
  assert.equal(presence.observe([111]).verdict, 'misconfigured');
  assert.equal(presence.observe([111, QQ]).verdict, 'healthy');
  assert.equal(presence.misconfigured, undefined);
});

test('an empty list is no typo: no account is logged in, the start waits', () => {
  const presence = new MiraiBotPresence(QQ, 1);
  for (let i = 0; i < 5; i++) assert.match(brief(presence.observe([])), /^unhealthy: bot 123456789 is not logged in to mirai yet \(\/botList is empty/);
  assert.equal(presence.misconfigured, undefined);
});

test('ours was there and left while others stay: an account that logged out, never a typo', () => {
  const presence = new MiraiBotPresence(QQ, 1);
  assert.equal(presence.observe([QQ, 111]).verdict, 'healthy');
  for (let i = 0; i < 5; i++) assert.match(brief(presence.observe([111])), /^unhealthy: bot 123456789 is not logged in to mirai any more \(\/botList has bot 111\)$/);
});

test('the count is of answers in a row: an empty list in between starts it over', () => {
  const presence = new MiraiBotPresence(QQ, 2);
  presence.observe([111]);
  presence.observe([]);
  assert.equal(presence.observe([111]).verdict, 'unhealthy');
  assert.equal(presence.observe([111]).verdict, 'misconfigured');
});

test('a long list is cut: five numbers and how many more', () => {
  const presence = new MiraiBotPresence(QQ, 1);
  const j = presence.observe([1, 2, 3, 4, 5, 6, 7]);
  assert.match(brief(j), /which has bots 1, 2, 3, 4, 5 and 2 more:/);
});
