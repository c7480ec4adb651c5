import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resultText } from './invoke.ts';

test("a result's terminal controls are escaped on a terminal, kept as given into a pipe", () => {
  const hostile = 'ok\x1b]52;c;ZXZpbA==\x07\x1b[2J';
  assert.equal(resultText(hostile, false), hostile);
  const shown = resultText(hostile, true);
  assert.equal(/[\x1b\x07]/.test(shown), false, shown);
  assert.match(shown, /^ok\\x1b\]52;c;ZXZpbA==/);
  assert.equal(resultText({ a: 'x\ny' }, true), '{\n  "a": "x\\ny"\n}', 'JSON and its layout are unchanged');
});
