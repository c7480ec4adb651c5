import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERRORS, NimbusError, toProblem, type ErrorCode } from './errors.ts';

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

test('docs/errors.md lists exactly the catalogue, with the same status and retryable flag', () => {
  const rows = new Map<string, { status: number; retryable: boolean }>();
  for (const m of doc.matchAll(/^\| `(NIMBUS_ERR_[A-Z_]+)` \| (\d{3}) \| (yes|no) \|/gm)) {
    rows.set(m[1], { status: Number(m[2]), retryable: m[3] === 'yes' });
  }
  assert.deepEqual([...rows.keys()].sort(), Object.keys(ERRORS).sort());
  for (const [code, spec] of Object.entries(ERRORS)) {
    assert.deepEqual(rows.get(code), { status: spec.status, retryable: spec.retryable }, code);
  }
});

test('toProblem renders a NimbusError as RFC 7807 with its code and extras', () => {
  const problem = toProblem(
    new NimbusError('NIMBUS_ERR_THROTTLED', 'busy', { extra: { queueDepth: 3 }, retryAfterSeconds: 1 }),
    '/fn/x',
  );
  assert.equal(problem.status, 429);
  assert.equal(problem.code, 'NIMBUS_ERR_THROTTLED');
  assert.equal(problem.type, 'https://nimbus.dev/errors/throttled');
  assert.equal(problem.detail, 'busy');
  assert.equal(problem.instance, '/fn/x');
  assert.equal(problem.queueDepth, 3);
  assert.equal(problem.retryable, true);
});

test('toProblem hides unexpected errors behind NIMBUS_ERR_INTERNAL', () => {
  const problem = toProblem(new Error('secret path /etc/x'));
  assert.equal(problem.code, 'NIMBUS_ERR_INTERNAL' satisfies ErrorCode);
  assert.equal(problem.status, 500);
  assert.doesNotMatch(problem.detail, /secret/);
});

test('extras cannot overwrite the standard members', () => {
  const problem = toProblem(new NimbusError('NIMBUS_ERR_VALIDATION', 'bad', { extra: { status: 200, code: 'X' } }));
  assert.equal(problem.status, 400);
  assert.equal(problem.code, 'NIMBUS_ERR_VALIDATION');
});

test('a stack in extra never reaches the client', () => {
  const problem = toProblem(new NimbusError('NIMBUS_ERR_FUNCTION_ERROR', 'x', { extra: { errorName: 'E', stack: 'at /secret' } }));
  assert.equal(problem.errorName, 'E');
  assert.equal('stack' in problem, false);
});
