import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { awsHistory } from './sfn-history.ts';

const T = '2026-01-01T00:00:00.000Z';
const ev = (id: number, previousEventId: number, type: string, extra: Record<string, unknown> = {}) => ({ id, previousEventId, timestamp: T, type, ...extra });
const ARN = 'arn:aws:lambda:us-east-1:000000000000:function:f';

describe('GetExecutionHistory events', () => {
  it('reports a Lambda function ARN task as LambdaFunction* with a Started event, renumbering ids', () => {
    const out = awsHistory(
      [
        ev(1, 0, 'ExecutionStarted', { executionStartedEventDetails: { input: { a: 1 }, roleArn: '' } }),
        ev(2, 1, 'TaskStateEntered', { stateEnteredEventDetails: { name: 'Call', input: { a: 1 } } }),
        ev(3, 2, 'TaskScheduled', { taskScheduledEventDetails: { resource: ARN, resourceType: 'function', parameters: { a: 1 }, timeoutInSeconds: 5, heartbeatInSeconds: null, taskId: 't1', attempt: 0, target: {} } }),
        ev(4, 3, 'TaskSucceeded', { taskSucceededEventDetails: { resource: ARN, resourceType: 'function', output: { b: 2 } } }),
        ev(5, 4, 'TaskStateExited', { stateExitedEventDetails: { name: 'Call', output: { b: 2 } } }),
        ev(6, 5, 'ExecutionSucceeded', { executionSucceededEventDetails: { output: { b: 2 } } }),
      ],
      true,
      'arn:aws:iam::0:role/nimbus',
    );
    assert.deepEqual(out.map((e) => [e.id, e.previousEventId, e.type]), [
      [1, 0, 'ExecutionStarted'],
      [2, 1, 'TaskStateEntered'],
      [3, 2, 'LambdaFunctionScheduled'],
      [4, 3, 'LambdaFunctionStarted'],
      [5, 4, 'LambdaFunctionSucceeded'],
      [6, 5, 'TaskStateExited'],
      [7, 6, 'ExecutionSucceeded'],
    ]);
    assert.deepEqual(out[2].lambdaFunctionScheduledEventDetails, { resource: ARN, input: '{"a":1}', inputDetails: { truncated: false }, timeoutInSeconds: 5 });
    assert.equal(out[2].taskScheduledEventDetails, undefined);
    assert.deepEqual(out[4].lambdaFunctionSucceededEventDetails, { output: '{"b":2}', outputDetails: { truncated: false } });
    assert.equal((out[0].executionStartedEventDetails as { roleArn: string }).roleArn, 'arn:aws:iam::0:role/nimbus');
    assert.equal(out[0].timestamp, Date.parse(T) / 1000);
  });

  it('maps failures and timeouts (which carry no resource) by the Scheduled event they follow; without data, no input or output', () => {
    const out = awsHistory(
      [
        ev(1, 0, 'ExecutionStarted', { executionStartedEventDetails: { input: {} } }),
        ev(2, 1, 'TaskScheduled', { taskScheduledEventDetails: { resource: ARN, resourceType: 'function', parameters: {}, timeoutInSeconds: null } }),
        ev(3, 2, 'TaskFailed', { taskFailedEventDetails: { resource: ARN, resourceType: 'function', error: 'TypeError', cause: 'bad' } }),
        ev(4, 3, 'TaskScheduled', { taskScheduledEventDetails: { resource: ARN, resourceType: 'function', parameters: {}, timeoutInSeconds: 1 } }),
        ev(5, 4, 'TaskTimedOut', { taskTimedOutEventDetails: { error: 'States.Timeout', cause: 'late' } }),
      ],
      false,
      'r',
    );
    assert.deepEqual(out.map((e) => e.type), ['ExecutionStarted', 'LambdaFunctionScheduled', 'LambdaFunctionStarted', 'LambdaFunctionFailed', 'LambdaFunctionScheduled', 'LambdaFunctionStarted', 'LambdaFunctionTimedOut']);
    assert.deepEqual(out[1].lambdaFunctionScheduledEventDetails, { resource: ARN });
    assert.deepEqual(out[3].lambdaFunctionFailedEventDetails, { error: 'TypeError', cause: 'bad' });
    assert.deepEqual(out[6].lambdaFunctionTimedOutEventDetails, { error: 'States.Timeout', cause: 'late' });
    assert.deepEqual(out[6].previousEventId, 6);
  });

  it('keeps Task* for the lambda:invoke integration and other resources', () => {
    const R = 'arn:aws:states:::lambda:invoke';
    const out = awsHistory(
      [
        ev(1, 0, 'TaskScheduled', { taskScheduledEventDetails: { resource: R, resourceType: 'lambda-invoke', parameters: { FunctionName: ARN } } }),
        ev(2, 1, 'TaskTimedOut', { taskTimedOutEventDetails: { error: 'States.Timeout', cause: 'late' } }),
      ],
      true,
      'r',
    );
    assert.deepEqual(out.map((e) => [e.id, e.previousEventId, e.type]), [
      [1, 0, 'TaskScheduled'],
      [2, 1, 'TaskTimedOut'],
    ]);
    assert.equal((out[0].taskScheduledEventDetails as { parameters: string }).parameters, JSON.stringify({ FunctionName: ARN }));
  });
});
