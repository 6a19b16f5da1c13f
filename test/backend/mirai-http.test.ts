import { systemClock } from '../../src/clock/clock.js';
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { MiraiHttpProbe, type MiraiHttpProbeOptions } from '../../src/backend/mirai/mirai-http.js';
import { FakeMirai } from '../helpers/fake-mirai.js';

const KEY = 'probe-key';
const QQ = 123456789;

async function setup(t: TestContext, bots = [QQ]) {
  const fake = await FakeMirai.start({ verifyKey: KEY, bots });
  t.after(() => fake.stop());
  const probe = (options: Partial<MiraiHttpProbeOptions> = {}) => new MiraiHttpProbe({ url: fake.url, verifyKey: KEY, qq: QQ, ...options, clock: options.clock ?? systemClock });
  return { fake, probe };
}

test('healthy: /about code 0 and the bot in /botList; no session is opened', async (t) => {
  const { fake, probe } = await setup(t);
  const result = await probe().check();
  assert.equal(result.verdict, 'healthy', result.reason);
  assert.equal(result.probe, 'mirai-http');
  assert.match(result.reason, /mirai-api-http 2\.10\.0 answers, bot 123456789 present/);
  assert.equal(result.details?.['version'], '2.10.0');
  assert.equal(typeof result.latencyMs, 'number');
  assert.deepEqual(fake.requests.map((r) => `${r.method} ${r.path}`), ['GET /about', 'GET /botList']);
});

test('the bot not logged in (not in /botList) is unhealthy: the backend is up but not ready', async (t) => {
  const { fake, probe } = await setup(t, []);
  const result = await probe().check();
  assert.equal(result.verdict, 'unhealthy');
  assert.match(result.reason, /bot 123456789 is not logged in to mirai yet/);
  fake.setBots([QQ]);
  assert.equal((await probe().check()).verdict, 'healthy');
});

test('without qq: any logged-in bot will do; none is unhealthy', async (t) => {
  const { fake, probe } = await setup(t, []);
  const noQq = probe({ qq: undefined });
  assert.match((await noQq.check()).reason, /no bot is logged in/);
  fake.setBots([42]);
  const result = await noQq.check();
  assert.equal(result.verdict, 'healthy');
  assert.equal(result.details?.['qq'], 42);
});

test('verifySession: verify + bind + release, every session released; a wrong key is misconfigured', async (t) => {
  const { fake, probe } = await setup(t);
  const result = await probe({ verifySession: true }).check();
  assert.equal(result.verdict, 'healthy', result.reason);
  assert.deepEqual(fake.requests.map((r) => `${r.method} ${r.path}`), ['GET /about', 'GET /botList', 'POST /verify', 'POST /bind', 'POST /release']);
  assert.equal(fake.sessions(), 0, 'the session was released');

  const wrong = await probe({ verifySession: true, verifyKey: 'not-the-key' }).check();
  assert.equal(wrong.verdict, 'misconfigured');
  assert.match(wrong.reason, /verifyKey \(code 1 from POST \/verify\)/);
  assert.equal(wrong.details?.['miraiCode'], 1);
  assert.doesNotMatch(JSON.stringify(wrong), /not-the-key/);
  assert.equal(fake.sessions(), 0);
});

test('verifySession: a bot missing from /botList is reported without opening a session', async (t) => {
  const { fake, probe } = await setup(t, []);
  const result = await probe({ verifySession: true }).check();
  assert.equal(result.verdict, 'unhealthy');
  assert.ok(!fake.requests.some((r) => r.path === '/verify'));
});

test('verifySession: a session is released even when the check is aborted after /verify', async (t) => {
  const { fake, probe } = await setup(t);
  const controller = new AbortController();
  fake.on('request', (r) => {
    if (r.path === '/bind') controller.abort(); // the bind is processed by the server, its answer is dropped
  });
  const p = probe({ verifySession: true });
  const result = await p.check(controller.signal);
  assert.equal(result.verdict, 'unhealthy');
  await p.settled();
  assert.ok(fake.requests.some((r) => r.path === '/release'), 'released after the abort');
  assert.equal(fake.sessions(), 0);
});

test('faults: refused, garbage, wrong code, frozen — each a clear unhealthy result', async (t) => {
  const { fake, probe } = await setup(t);
  const p = probe();

  await fake.fault('garbage');
  const garbage = await p.check();
  assert.equal(garbage.verdict, 'unhealthy');
  assert.match(garbage.reason, /GET \/about is not a JSON object/);

  await fake.fault({ kind: 'wrongCode', code: 500, msg: 'boom' });
  const wrong = await p.check();
  assert.equal(wrong.verdict, 'unhealthy');
  assert.match(wrong.reason, /code 500 to GET \/about: boom/);

  await fake.fault('freeze');
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 200);
  const frozen = await p.check(controller.signal);
  assert.equal(frozen.verdict, 'unhealthy');
  assert.match(frozen.reason, /no answer within \d+ms/);

  await fake.fault('refuse');
  const refused = await p.check();
  assert.equal(refused.verdict, 'unhealthy');
  assert.match(refused.reason, /GET \/about: connection refused/);

  await fake.fault('drop');
  assert.equal((await p.check()).verdict, 'unhealthy');

  await fake.clearFaults();
  assert.equal((await p.check()).verdict, 'healthy');
});

test('a typo in qq: mirai has another bot; after 3 answers in a row misconfigured, naming the qq and the bots', async (t) => {
  const { fake, probe } = await setup(t, [111222333]);
  const p = probe({ qq: QQ + 1 });
  const first = await p.check();
  assert.equal(first.verdict, 'unhealthy');
  assert.match(first.reason, /bot 123456790 is not logged in to mirai, which has bot 111222333: is backend\.qq right\?/);
  await p.check();
  const third = await p.check();
  assert.equal(third.verdict, 'misconfigured', third.reason);
  assert.match(third.reason, /backend\.qq 123456790 is not a bot of this mirai, which has bot 111222333: fix backend\.qq/);
  assert.deepEqual(third.details?.['bots'], [111222333]);
  assert.doesNotMatch(JSON.stringify(third), new RegExp(KEY));
  fake.setBots([111222333, QQ + 1]); // logged in late after all
  assert.equal((await p.check()).verdict, 'healthy');
});

test('a 404 on /about: backend.url leads to something else than mirai-api-http: misconfigured, naming backend.url without secrets', async (t) => {
  const { fake, probe } = await setup(t);
  const url = `http://user:s3cret@127.0.0.1:${fake.port}/nowhere`;
  const result = await probe({ url }).check();
  assert.equal(result.verdict, 'misconfigured', result.reason);
  assert.equal(
    result.reason,
    `GET /about: HTTP 404: backend.url (http://127.0.0.1:${fake.port}/nowhere) does not lead to mirai-api-http's http adapter: fix backend.url, or enable the adapter (adapters: [http, ws] in its setting.yml)`,
  );
  assert.doesNotMatch(JSON.stringify(result), /s3cret|user:/);
});
