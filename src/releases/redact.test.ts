import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noRedaction, REDACTED, redactorFor, redactValue } from './redact.ts';

test('every occurrence of a secret becomes [redacted]', () => {
  const redact = redactorFor(['s3cr3t-pw']);
  assert.equal(redact('pw=s3cr3t-pw and again s3cr3t-pw.'), `pw=${REDACTED} and again ${REDACTED}.`);
  assert.equal(redact('nothing here'), 'nothing here');
});

test('a secret containing another is hidden whole', () => {
  const redact = redactorFor(['abcd', 'abcdefgh']);
  assert.equal(redact('x abcdefgh y abcd'), `x ${REDACTED} y ${REDACTED}`);
});

test('the JSON-escaped form of a secret is hidden too', () => {
  const redact = redactorFor(['line1\n"q"']);
  assert.equal(redact(JSON.stringify({ v: 'line1\n"q"' })), `{"v":"${REDACTED}"}`);
});

test('very short values are not redacted, and no secrets means no work', () => {
  assert.equal(redactorFor(['on', '1']), noRedaction);
  assert.equal(redactorFor([]), noRedaction);
});

test('values are redacted through objects and arrays', () => {
  const redact = redactorFor(['topsecret']);
  assert.deepEqual(redactValue({ a: ['x topsecret', 3, null], topsecret: { b: 'topsecret' } }, redact), {
    a: [`x ${REDACTED}`, 3, null],
    [REDACTED]: { b: REDACTED },
  });
});
