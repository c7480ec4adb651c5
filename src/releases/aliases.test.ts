import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isNimbusError } from '../core/errors.ts';
import { formatRoutes, parseRoutes, validateAliasName } from './aliases.ts';

const invalid = (f: () => unknown) => assert.throws(f, (e) => isNimbusError(e) && e.code === 'NIMBUS_ERR_VALIDATION');

test('a lone version takes everything; a split needs weights summing to 100', () => {
  assert.deepEqual(parseRoutes(['3']), [{ version: 3, weight: 100 }]);
  assert.deepEqual(parseRoutes(['3=90', '4=10']), [{ version: 3, weight: 90 }, { version: 4, weight: 10 }]);
  assert.deepEqual(parseRoutes(['3=80%', '4=20%']), [{ version: 3, weight: 80 }, { version: 4, weight: 20 }]);
  invalid(() => parseRoutes(['3=90', '4=20']));
  invalid(() => parseRoutes(['3', '4']));
  invalid(() => parseRoutes(['3=50', '3=50']));
  invalid(() => parseRoutes(['1=40', '2=30', '3=30']));
  invalid(() => parseRoutes([]));
  invalid(() => parseRoutes(['live']));
  invalid(() => parseRoutes(['0']));
});

test('alias names start with a letter, so they never read as versions', () => {
  assert.equal(validateAliasName('live'), 'live');
  invalid(() => validateAliasName('3'));
  invalid(() => validateAliasName('a@b'));
  invalid(() => validateAliasName(''));
});

test('routes format back to what was typed', () => {
  assert.equal(formatRoutes([{ version: 3, weight: 100 }]), '3');
  assert.equal(formatRoutes([{ version: 3, weight: 90 }, { version: 4, weight: 10 }]), '3=90% 4=10%');
});
