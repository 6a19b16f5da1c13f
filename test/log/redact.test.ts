import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRedactor, createTextRedactor, REDACTED, scrubCredentials } from '../../src/log/redact.js';

test('configured secret values are removed wherever they occur, longest first', () => {
  const redact = createTextRedactor(['s3cretKey', 's3cretKeyLonger', undefined, '']);
  assert.equal(redact('key s3cretKey and s3cretKeyLonger'), `key ${REDACTED} and ${REDACTED}`);
  assert.equal(redact('nothing here'), 'nothing here');
  // Values under three characters would shred ordinary text: they are not used.
  assert.equal(createTextRedactor(['ab'])('abab cab'), 'abab cab');
});

test('credential-looking parts are removed whatever their value, configured or not', () => {
  const cases: [string, string][] = [
    ['ws://h:8080/event?verifyKey=abc&qq=1', `ws://h:8080/event?verifyKey=${REDACTED}&qq=1`],
    ['http://h/api?access_token=tok123#x', `http://h/api?access_token=${REDACTED}#x`],
    ['GET /x?a=1&sessionKey=SK', `GET /x?a=1&sessionKey=${REDACTED}`],
    ['mirai said: bad verifyKey=hunter2 given', `mirai said: bad verifyKey=${REDACTED} given`],
    ['verify_key=x access-token', `verify_key=${REDACTED} access-token`],
    ['{"verifyKey":"hunter2","qq":1}', `{"verifyKey":"${REDACTED}","qq":1}`],
    ['{"accessToken" : "a\\"b"}', `{"accessToken" : "${REDACTED}"}`],
    ['http://user:pass@127.0.0.1:8080/x', `http://${REDACTED}@127.0.0.1:8080/x`],
    ['connect wss://bot:t0ken@example.com failed', `connect wss://${REDACTED}@example.com failed`],
    ['tcp://only-user@h:1', `tcp://${REDACTED}@h:1`],
  ];
  for (const [input, expected] of cases) assert.equal(scrubCredentials(input), expected, input);
  // What only looks similar is left alone.
  for (const text of ['http://h:8080/a@b', 'mail me@example.com', 'the csrf_token=1 field', 'keyverifyKey is a word', 'qq=12345']) {
    assert.equal(scrubCredentials(text), text, text);
  }
});

test('records: secret keys, nested strings, Errors (kept as Errors), arrays; numbers untouched', () => {
  const redact = createRedactor(['k3y-value']);
  class CodedError extends Error {
    code = 'E_X';
  }
  const error = new CodedError('failed with k3y-value');
  const out = redact({
    verifyKey: 'anything',
    accessToken: 'x',
    token: '',
    nested: { url: 'ws://h/e?verifyKey=k3y-value', list: ['k3y-value', 42, null] },
    authorization: 'Bearer abc',
    err: error,
    pid: 123,
  }) as Record<string, unknown>;
  assert.equal(out.verifyKey, REDACTED);
  assert.equal(out.accessToken, REDACTED);
  assert.equal(out.token, '', 'an empty value has nothing to hide');
  assert.equal(out.authorization, REDACTED);
  assert.deepEqual(out.nested, { url: `ws://h/e?verifyKey=${REDACTED}`, list: [REDACTED, 42, null] });
  assert.equal(out.pid, 123);
  const err = out.err as CodedError;
  assert.ok(err instanceof CodedError);
  assert.equal(err.message, `failed with ${REDACTED}`);
  assert.equal(err.code, 'E_X');
  assert.doesNotMatch(String(err.stack), /k3y-value/);
  assert.equal(error.message, 'failed with k3y-value', 'the original is not changed');
});
