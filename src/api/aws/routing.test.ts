import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { isAwsRequest } from './endpoint.ts';
import { AwsError } from './errors.ts';
import { lambdaRoute } from './lambda.ts';
import { parseFunctionName } from './lambda-functions.ts';

const req = (method: string, url: string, headers: Record<string, string> = {}) => ({ method, url, headers }) as unknown as IncomingMessage;

describe('AWS endpoint routing', () => {
  it('claims date-prefixed paths and POST / with a Step Functions target, nothing of the platform’s own', () => {
    assert.equal(isAwsRequest(req('GET', '/2015-03-31/functions/')), true);
    assert.equal(isAwsRequest(req('PUT', '/2017-10-31/functions/x/concurrency')), true);
    assert.equal(isAwsRequest(req('POST', '/', { 'x-amz-target': 'AWSStepFunctions.StartExecution' })), true);
    for (const [m, u] of [['GET', '/'], ['POST', '/'], ['GET', '/fn/2015-03-31/x'], ['GET', '/api/v1/functions'], ['GET', '/metrics'], ['GET', '/console/2015-03-31/'], ['GET', '/healthz']]) {
      assert.equal(isAwsRequest(req(m, u)), false, `${m} ${u}`);
    }
    assert.equal(isAwsRequest(req('POST', '/', { 'x-amz-target': 'DynamoDB_20120810.GetItem' })), false);
  });

  it('maps Lambda paths to operations, names in ARNs and qualifiers', () => {
    assert.equal(lambdaRoute('GET', '/2015-03-31/functions/').operation, 'ListFunctions');
    const inv = lambdaRoute('POST', '/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Ahello%3A3/invocations');
    assert.equal(inv.operation, 'Invoke');
    assert.deepEqual(parseFunctionName(inv.params.name), { name: 'hello', qualifier: '3' });
    assert.deepEqual(parseFunctionName('hello', '$LATEST'), { name: 'hello', qualifier: '$LATEST' });
    assert.deepEqual(parseFunctionName('000000000000:function:hello'), { name: 'hello', qualifier: undefined });
    assert.throws(() => parseFunctionName('hello:2', '3'), AwsError);
    assert.equal(lambdaRoute('GET', '/2015-03-31/functions/x/aliases').operation, 'ListAliases');
    assert.equal(lambdaRoute('POST', '/2015-03-31/functions/x/aliases').operation, 'CreateAlias');
    const alias = lambdaRoute('PUT', '/2015-03-31/functions/x/aliases/live');
    assert.deepEqual([alias.operation, alias.params], ['UpdateAlias', { name: 'x', alias: 'live' }]);
    assert.equal(lambdaRoute('GET', '/2015-03-31/functions/x/aliases/live').operation, 'GetAlias');
    assert.equal(lambdaRoute('DELETE', '/2015-03-31/functions/x/aliases/live').operation, 'DeleteAlias');
    // A malformed percent-encoding in a name is the caller's 400, not a 500 of the platform.
    for (const path of ['/2015-03-31/functions/%zz', '/2015-03-31/functions/x/aliases/%E0%A4%A']) {
      assert.throws(() => lambdaRoute('GET', path), (e) => e instanceof AwsError && e.type === 'InvalidParameterValueException' && e.status === 400, path);
    }
    assert.throws(() => lambdaRoute('GET', '/2015-03-31/layers'), (e) => e instanceof AwsError && e.type === 'UnsupportedOperationException' && e.status === 404);
  });
});
