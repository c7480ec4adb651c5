import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NimbusError } from '../../core/errors.ts';
import { AwsError } from './errors.ts';
import { sfnErrorOf } from './sfn-arns.ts';

test("platform errors become Step Functions' errors: a caller's mistake is a 400, never a 500", () => {
  const as = (e: unknown) => {
    const out = sfnErrorOf(e);
    return [out.status, out.type];
  };
  // An execution input past 256 KB (StartExecution, TestState) is AWS's length constraint.
  assert.deepEqual(as(new NimbusError('NIMBUS_ERR_PAYLOAD_TOO_LARGE', 'The execution input has 307208 bytes; the limit is 262144.')), [400, 'ValidationException']);
  assert.deepEqual(as(new NimbusError('NIMBUS_ERR_EXECUTION_NOT_FOUND', 'x')), [400, 'ExecutionDoesNotExist']);
  assert.deepEqual(as(new NimbusError('NIMBUS_ERR_VALIDATION', 'x')), [400, 'ValidationException']);
  // What is not the caller's stays a 500 that shows nothing of the platform.
  const internal = sfnErrorOf(new TypeError('secret detail'));
  assert.ok(internal instanceof AwsError);
  assert.deepEqual([internal.status, internal.type], [500, 'InternalServerError']);
  assert.doesNotMatch(internal.message, /secret detail/);
});
