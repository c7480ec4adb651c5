import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkSize } from './limits.ts';
import type { Json } from './types.ts';

function nested(depth: number): Json {
  let v: Json = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

describe('checkSize', () => {
  it('passes a value within the size and depth bounds', () => {
    checkSize({ a: nested(500) }, 1024 * 1024, 'output of state "A"');
  });

  it('a value nested past the JSON bound is States.DataLimitExceeded, however small, or however deep', () => {
    for (const depth of [513, 50_000]) {
      assert.throws(() => checkSize(nested(depth), 1024 * 1024, 'output of state "Wrap"'), (e: Error & { error?: string }) => {
        assert.equal(e.error, 'States.DataLimitExceeded');
        assert.match(e.message, /output of state "Wrap" nests arrays or objects deeper than 512 levels/);
        return true;
      });
    }
  });

  it('still counts bytes', () => {
    assert.throws(() => checkSize('x'.repeat(100), 50, 'input'), /has 102 bytes, more than the limit of 50 bytes/);
  });
});
