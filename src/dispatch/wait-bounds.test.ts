import assert from 'node:assert/strict';
import { test } from 'node:test';
import { longestInvocationMs, startWaitMs } from './wait-bounds.ts';

test('a function without a start timeout waits for a start as long as its timeout', () => {
  assert.equal(startWaitMs({ timeoutMs: 3000 }), 3000);
  assert.equal(longestInvocationMs({ timeoutMs: 3000 }), 6000);
});

test("an app waits for a start up to its start timeout when that is longer than its timeout, and never less than the timeout", () => {
  const app = { command: 'python3 app.py', eventPath: '/', startTimeoutMs: 10_000, graceMs: 5000 };
  assert.equal(startWaitMs({ timeoutMs: 1000, app }), 10_000);
  assert.equal(longestInvocationMs({ timeoutMs: 1000, app }), 11_000);
  assert.equal(startWaitMs({ timeoutMs: 30_000, app }), 30_000);
});
