import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseFunctionPath } from './function-route.ts';

test('a path names the function, and after @ a version or alias', () => {
  assert.deepEqual(parseFunctionPath('/fn/api/users?x=1'), { name: 'api', path: '/users?x=1' });
  assert.deepEqual(parseFunctionPath('/fn/api@live/users'), { name: 'api', qualifier: 'live', path: '/users' });
  assert.deepEqual(parseFunctionPath('/fn/api@4'), { name: 'api', qualifier: '4', path: '/' });
  assert.deepEqual(parseFunctionPath('/fn/api%404?q'), { name: 'api', qualifier: '4', path: '/?q' });
  assert.equal(parseFunctionPath('/fn/api@/x'), null);
  assert.equal(parseFunctionPath('/fn/@live/x'), null);
  assert.equal(parseFunctionPath('/fn/'), null);
});
