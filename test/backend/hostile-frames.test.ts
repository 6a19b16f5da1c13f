import { test } from 'node:test';
import assert from 'node:assert/strict';
import { miraiProtocol } from '../../src/backend/mirai/mirai-ws.js';
import { oneBotProtocol } from '../../src/backend/onebot/onebot-ws.js';
import { snippet } from '../../src/backend/untrusted.js';

// JSON can carry objects whose "toString" is not a function: String(value) on them throws.
const hostile = [
  '{"syncId":{"toString":1},"data":{"type":"BotOnlineEvent","qq":1}}',
  '{"syncId":"-1","data":{"type":{"toString":1},"qq":{"valueOf":2}}}',
  '{"syncId":"","data":{"code":{"toString":1},"msg":{"toString":1}}}',
  '{"post_type":"meta_event","meta_event_type":{"toString":1},"self_id":{"toString":1}}',
  '{"post_type":{"toString":1}}',
  '{"post_type":"meta_event","meta_event_type":"heartbeat","status":{"online":{"toString":1}},"interval":{"toString":1}}',
  '[]',
  'null',
  '"\\u0000"',
];

test('no frame a backend sends can make a protocol parser throw', () => {
  const protocols = [miraiProtocol(1), oneBotProtocol(false)];
  for (const protocol of protocols) {
    for (const frame of hostile) {
      assert.doesNotThrow(() => protocol.firstFrame(frame), frame);
      assert.doesNotThrow(() => protocol.frame(frame), frame);
    }
  }
});

test('snippet prints any value, even one with a hostile toString', () => {
  assert.equal(snippet({ toString: 1 }), '{"toString":1}');
  assert.equal(snippet('a\u0000b\n c'), 'a b c');
  assert.equal(snippet(undefined), 'undefined');
});
