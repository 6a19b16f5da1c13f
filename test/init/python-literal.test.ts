import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLiteral, PythonLiteralError, readAssignment } from '../../src/init/python-literal.js';

test('Python literals: dicts, lists, tuples, strings, numbers, constants, comments', () => {
  assert.deepEqual(
    parseLiteral(`{
      "host": 'localhost',  # a comment, with "quotes" and a }
      'port': 8_080,
      "neg": -5, "hex": 0x1F, "float": 1.5e3,
      "flags": [True, False, None],
      "tuple": (1, "a",), "one": (7), "single": (8,),
      "concat": "ab" 'cd',
      "escapes": "a\\nb\\t\\u4e2d\\x41\\\\",
      "raw": r"C:\\path\\n",
      "triple": """line1
line2""",
      "nested": {"a": {"b": []}},
    }`),
    {
      host: 'localhost',
      port: 8080,
      neg: -5,
      hex: 31,
      float: 1500,
      flags: [true, false, null],
      tuple: [1, 'a'],
      one: 7,
      single: [8],
      concat: 'abcd',
      escapes: 'a\nb\t中A\\',
      raw: 'C:\\path\\n',
      triple: 'line1\nline2',
      nested: { a: { b: [] } },
    },
  );
});

test('anything that is not a literal is refused, never evaluated', () => {
  for (const text of [
    `__import__("os").system("touch /tmp/pwned")`,
    `{"key": os.environ["KEY"]}`,
    `{"key": f"{x}"}`,
    `{"a": 1 + 2}`,
    `{"a": b"bytes"}`,
    `{"a": 1j}`,
    `{"a": "unterminated}`,
    `[1, 2`,
  ]) {
    assert.throws(() => parseLiteral(text), PythonLiteralError, text);
  }
  assert.throws(() => parseLiteral('{"__proto__": {"polluted": 1}}x'), PythonLiteralError);
  const parsed = parseLiteral('{"__proto__": {"polluted": 1}}') as Record<string, unknown>;
  assert.deepEqual(Object.keys(parsed), ['__proto__']);
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
});

test('readAssignment finds the top-level assignment and reads only its value', () => {
  const source = [
    '# mirai_http_api_config = {"host": "commented out"}',
    'import os',
    'mirai_http_api_config = {',
    '    "adapter": "WebSocketAdapter",',
    '    "host": "127.0.0.1",',
    '    "port": 8081,',
    '    "verifyKey": "k3y",',
    '    "qq": 10001,',
    '}',
    'openai_config = {"api_key": os.environ["X"]}',
  ].join('\n');
  assert.deepEqual(readAssignment(source, 'mirai_http_api_config'), {
    adapter: 'WebSocketAdapter',
    host: '127.0.0.1',
    port: 8081,
    verifyKey: 'k3y',
    qq: 10001,
  });
  assert.equal(readAssignment(source, 'no_such_thing'), undefined);
  assert.throws(() => readAssignment(source, 'openai_config'), /the name os/);
});
