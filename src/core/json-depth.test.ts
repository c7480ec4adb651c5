import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_JSON_DEPTH, jsonHasInfinity, jsonTextTooDeep, jsonValueTooDeep, parseJsonBounded } from './json-depth.ts';

const nested = (depth: number, open = '[', close = ']') => open.repeat(depth) + close.repeat(depth);

describe('JSON depth bound', () => {
  it('accepts nesting up to the bound and refuses one level more', () => {
    assert.equal(jsonTextTooDeep(nested(MAX_JSON_DEPTH)), false);
    assert.equal(jsonTextTooDeep(nested(MAX_JSON_DEPTH + 1)), true);
    assert.equal(jsonTextTooDeep('{"a":'.repeat(MAX_JSON_DEPTH + 1) + '1' + '}'.repeat(MAX_JSON_DEPTH + 1)), true);
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    const text = JSON.stringify({ s: '['.repeat(10_000) + '\\"[[[' });
    assert.equal(jsonTextTooDeep(text, 2), false);
    assert.equal(jsonTextTooDeep(JSON.stringify(['"\\[', ['x']]), 1), true);
  });

  it('counts depth, not the number of arrays: wide documents pass', () => {
    assert.equal(jsonTextTooDeep(JSON.stringify(Array.from({ length: 10_000 }, () => [[1]])), 3), false);
  });

  it('parseJsonBounded gives a 400 for deep or invalid text, or the code asked for', () => {
    assert.deepEqual(parseJsonBounded('{"a":[1]}', 'the body'), { a: [1] });
    assert.throws(() => parseJsonBounded(nested(50_000), 'the body'), (e: Error & { code?: string; status?: number }) => {
      assert.equal(e.code, 'NIMBUS_ERR_BAD_REQUEST');
      assert.equal(e.status, 400);
      assert.match(e.message, /^the body nests .* deeper than 512 levels/);
      return true;
    });
    assert.throws(() => parseJsonBounded('{', 'the body'), { code: 'NIMBUS_ERR_BAD_REQUEST', message: /^the body is not valid JSON/ });
    assert.throws(() => parseJsonBounded(nested(600), 'the result', 'NIMBUS_ERR_BAD_RESPONSE'), { code: 'NIMBUS_ERR_BAD_RESPONSE' });
  });

  it('jsonHasInfinity finds a number JSON.parse read as ±Infinity, wherever it nests, and nothing else', () => {
    const has = (text: string) => jsonHasInfinity(text, JSON.parse(text));
    for (const text of ['1e309', '{"a":[1,{"b":-1E+400}]}', `[${'9'.repeat(400)}]`]) assert.equal(has(text), true, text);
    for (const text of ['1e308', '{"a":"1e309"}', '[1e-400, 123e100]', '{"1e999": true}', 'null']) assert.equal(has(text), false, text);
  });

  it('jsonValueTooDeep counts the same levels on a parsed value, without recursion', () => {
    assert.equal(jsonValueTooDeep(JSON.parse(nested(MAX_JSON_DEPTH))), false);
    assert.equal(jsonValueTooDeep(JSON.parse(nested(MAX_JSON_DEPTH + 1))), true);
    assert.equal(jsonValueTooDeep(JSON.parse(nested(200_000))), true);
    assert.equal(jsonValueTooDeep({ a: [{ b: [1] }], c: 'x'.repeat(1000) }, 4), false);
    assert.equal(jsonValueTooDeep({ a: [{ b: [[1]] }] }, 4), true);
    assert.equal(jsonValueTooDeep('[[[[[[', 1), false, 'a string is a leaf');
    assert.equal(jsonValueTooDeep(null), false);
  });
});
