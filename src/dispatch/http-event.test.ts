import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isNimbusError } from '../core/errors.ts';
import { fromHandlerResult, responseToValue } from './http-event.ts';

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const badResponse = (why: RegExp) => (e: unknown) => isNimbusError(e) && e.code === 'NIMBUS_ERR_BAD_RESPONSE' && why.test(e.message);

describe("a handler's result as an HTTP response (API Gateway v2 rules)", () => {
  it('an object with statusCode is a response; its body as text, base64 or JSON', () => {
    const r = fromHandlerResult({ statusCode: 201, headers: { 'x-a': 1 }, cookies: ['s=1'], body: 'made' });
    assert.equal(r.status, 201);
    assert.equal(text(r.body), 'made');
    assert.deepEqual(r.headers, [['x-a', '1'], ['set-cookie', 's=1']]);
    assert.deepEqual([...fromHandlerResult({ statusCode: 200, body: 'AAEC', isBase64Encoded: true }).body], [0, 1, 2]);
    assert.equal(text(fromHandlerResult({ statusCode: 200, body: { a: 1 } }).body), '{"a":1}');
    // what Buffer decodes: unpadded and URL-safe base64; and no body at all
    assert.deepEqual([...fromHandlerResult({ statusCode: 200, body: 'AAE', isBase64Encoded: true }).body], [0, 1]);
    assert.deepEqual([...fromHandlerResult({ statusCode: 200, body: '-_8', isBase64Encoded: true }).body], [251, 255]);
    assert.equal(fromHandlerResult({ statusCode: 204, isBase64Encoded: true }).body.byteLength, 0);
  });

  it('any other value is the JSON body of a 200', () => {
    const r = fromHandlerResult({ message: 'hi' });
    assert.equal(r.status, 200);
    assert.equal(text(r.body), '{"message":"hi"}');
    assert.equal(text(fromHandlerResult([1, 2]).body), '[1,2]');
  });

  it('a malformed response is NIMBUS_ERR_BAD_RESPONSE, not passed through', () => {
    assert.throws(() => fromHandlerResult({ statusCode: 'abc', body: 'x' }), badResponse(/statusCode "abc"/));
    assert.throws(() => fromHandlerResult({ statusCode: 99 }), badResponse(/200 to 599/));
    assert.throws(() => fromHandlerResult({ statusCode: 200.5 }), badResponse(/200 to 599/));
    assert.throws(() => fromHandlerResult({ statusCode: 200, body: '!!!not base64', isBase64Encoded: true }), badResponse(/not base64/));
    assert.throws(() => fromHandlerResult({ statusCode: 200, body: { a: 1 }, isBase64Encoded: true }), badResponse(/not base64/));
  });
});

describe('a fetch answer as an event result', () => {
  const answer = (status: number, body: string, type = 'application/json') => ({ status, statusText: '', headers: [['content-type', type]] as Array<[string, string]>, body: new TextEncoder().encode(body) });
  const failure = (status: number, body: string, type?: string) => {
    try {
      responseToValue(answer(status, body, type));
    } catch (error) {
      if (isNimbusError(error)) return error;
    }
    assert.fail('no error');
  };

  it('names a failed answer Http<status>', () => {
    const e = failure(502, 'bad gateway', 'text/plain');
    assert.equal(e.code, 'NIMBUS_ERR_FUNCTION_ERROR');
    assert.equal(e.extra.errorName, 'Http502');
    assert.equal(e.extra.errorMessage, 'bad gateway');
  });

  it("names it by the errorType of Lambda's error object, which it keeps", () => {
    const e = failure(500, JSON.stringify({ errorMessage: 'no key', errorType: 'KeyError', requestId: 'r1', stackTrace: ['  File "x.py", line 1', 7] }));
    assert.equal(e.extra.errorName, 'KeyError');
    assert.equal(e.extra.errorMessage, 'no key');
    assert.deepEqual(e.extra.lambdaError, { errorMessage: 'no key', errorType: 'KeyError', requestId: 'r1', stackTrace: ['  File "x.py", line 1'] });
  });

  it('keeps Http<status> for JSON that is not that object', () => {
    assert.equal(failure(500, JSON.stringify({ errorType: 'X' })).extra.errorName, 'Http500');
    assert.equal(failure(500, JSON.stringify({ errorType: '', errorMessage: 'm' })).extra.errorName, 'Http500');
    assert.equal(failure(500, JSON.stringify({ errorType: 'X', errorMessage: 'm' }), 'text/plain').extra.errorName, 'Http500');
  });
});
