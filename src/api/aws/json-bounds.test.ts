import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_JSON_DEPTH } from '../../core/json-depth.ts';
import { AwsError } from './errors.ts';
import { invoke } from './lambda-invoke.ts';
import { jsonBody, type AwsContext, type AwsRequest } from './protocol.ts';
import { sfnCall } from './sfn.ts';

/** An object nested `depth` levels: {"a":{"a":…1…}}. */
const nested = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
const TOO_DEEP = nested(MAX_JSON_DEPTH + 1);
// Nothing past the JSON checks is reached: a call that got that far fails on the empty platform.
const ctx = { payloadLimitBytes: 10_000_000, api: {}, region: 'us-east-1', accountId: '000000000000' } as unknown as AwsContext;
const lambdaReq = (body: string): AwsRequest => ({ method: 'POST', params: { name: 'f' }, query: new URLSearchParams(), headers: {}, body: Buffer.from(body) });
const isAws = (type: string, status = 400) => (e: unknown) => e instanceof AwsError && e.type === type && e.status === status;
const ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:orders';
const sfn = (op: string, body: unknown) => sfnCall(ctx, `AWSStepFunctions.${op}`, Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)));

describe('JSON from AWS callers is parsed under the platform depth bound', () => {
  it('Lambda bodies: too deep or not JSON is InvalidRequestContentException; the bound itself is fine', () => {
    assert.ok(jsonBody(lambdaReq(nested(MAX_JSON_DEPTH))).a);
    assert.throws(() => jsonBody(lambdaReq(TOO_DEEP)), isAws('InvalidRequestContentException'));
    assert.throws(() => jsonBody(lambdaReq('{"a":')), isAws('InvalidRequestContentException'));
  });

  it('an Invoke payload nested too deep is InvalidRequestContentException before anything runs', async () => {
    await assert.rejects(invoke(ctx, lambdaReq(TOO_DEEP)), isAws('InvalidRequestContentException'));
    await assert.rejects(invoke(ctx, lambdaReq('[[[')), isAws('InvalidRequestContentException'));
  });

  it('a Step Functions body nested too deep is SerializationException', async () => {
    await assert.rejects(sfn('DescribeStateMachine', TOO_DEEP.replace('{"a":', `{"stateMachineArn":"${ARN}","a":`)), isAws('SerializationException'));
  });

  it("execution input, a task's output and TestState's state and input are refused in their own errors", async () => {
    await assert.rejects(sfn('StartExecution', { stateMachineArn: ARN, input: TOO_DEEP }), isAws('InvalidExecutionInput'));
    await assert.rejects(sfn('StartSyncExecution', { stateMachineArn: ARN, input: TOO_DEEP }), isAws('InvalidExecutionInput'));
    await assert.rejects(sfn('SendTaskSuccess', { taskToken: 't', output: TOO_DEEP }), isAws('InvalidOutput'));
    await assert.rejects(sfn('TestState', { definition: TOO_DEEP, roleArn: 'r' }), isAws('InvalidDefinition'));
    await assert.rejects(sfn('TestState', { definition: '{"Type":"Pass","End":true}', roleArn: 'r', input: TOO_DEEP }), isAws('InvalidExecutionInput'));
  });
});
