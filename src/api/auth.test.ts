import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bearerGuard } from './auth.ts';

const refusal = (check: () => void) => {
  try {
    check();
    return null;
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
};

test('the bearer guard takes exactly the token, in any case of "Bearer", and refuses everything else as unauthorized', () => {
  const token = 'n1mbus_tok-ÄÖ_0123456789abcdef';
  const guard = bearerGuard(token);
  assert.equal(refusal(() => guard({ authorization: `Bearer ${token}` })), null);
  assert.equal(refusal(() => guard({ authorization: `bearer  ${token}` })), null);
  for (const authorization of [
    undefined,
    '',
    'Bearer',
    `Basic ${token}`,
    `Bearer ${token}x`,
    `Bearer ${token.slice(0, -1)}`,
    `Bearer ${token.slice(0, -1)}X`,
    // the same number of UTF-16 units, other bytes
    `Bearer ${token.replace('Ä', 'A')}`,
    `Bearer ${token} extra`,
    `Bearer x${token}`,
  ]) {
    assert.equal(refusal(() => guard(authorization === undefined ? {} : { authorization })), 'NIMBUS_ERR_UNAUTHORIZED', String(authorization));
  }
});
