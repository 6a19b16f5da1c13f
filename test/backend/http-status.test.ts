// mirai and OneBot judge a refused API request alike: a 4xx is our config, 408/429/5xx the server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeMiraiStatus } from '../../src/backend/mirai/mirai-answer.js';
import { judgeOneBotStatus } from '../../src/backend/onebot/onebot-answer.js';

test('the same status means the same verdict for mirai and OneBot', () => {
  const rows: [number, string][] = [
    [400, 'misconfigured'],
    [401, 'misconfigured'],
    [403, 'misconfigured'],
    [404, 'misconfigured'],
    [405, 'misconfigured'],
    [408, 'unhealthy'],
    [429, 'unhealthy'],
    [500, 'unhealthy'],
    [502, 'unhealthy'],
    [503, 'unhealthy'],
  ];
  for (const [status, verdict] of rows) {
    assert.equal(judgeMiraiStatus(status, 'GET /about', 'http://h:8080').verdict, verdict, `mirai ${status}`);
    assert.equal(judgeOneBotStatus(status, 'GET /get_status', false).verdict, verdict, `onebot ${status}`);
  }
});

test('a mirai 4xx names backend.url; a 5xx says the server failed', () => {
  assert.match(judgeMiraiStatus(404, 'GET /about', 'http://h:8080').reason, /^GET \/about: HTTP 404: backend\.url \(http:\/\/h:8080\) does not lead to mirai-api-http's http adapter/);
  assert.equal(judgeMiraiStatus(502, 'GET /about').reason, 'GET /about: HTTP 502 from mirai-api-http');
});
