import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkHttpResponse, headBytes } from './http-response-check.ts';
import type { HttpResponseData } from '../runtime/port.ts';

const response = (headers: Array<[string, string]>, body = 'ok', statusText = ''): HttpResponseData => ({
  status: 200,
  statusText,
  headers,
  body: new TextEncoder().encode(body),
});

describe('checkHttpResponse', () => {
  it('passes an ordinary response', () => {
    checkHttpResponse(response([['content-type', 'text/plain'], ['x-latin1', 'caf\u00e9']], 'hello', 'OK'), 1024);
  });

  it('refuses header values, names and status texts node:http would refuse', () => {
    for (const bad of [
      response([['x-bad', 'v\u0100w']]),
      response([['x-bad', 'a\r\nset-cookie: forged=1']]),
      response([['x-bad', 'a\u0000b']]),
      response([['bad name', 'v']]),
      response([['', 'v']]),
      response([], 'ok', 'OK\r\nx-forged: 1'),
      response([], 'ok', '\u2603'),
    ]) {
      assert.throws(() => checkHttpResponse(bad, 1 << 20), { code: 'NIMBUS_ERR_BAD_RESPONSE' }, JSON.stringify(bad.headers) + bad.statusText);
    }
  });

  it('counts the head with the body against the limit', () => {
    const r = response([['x-big', 'a'.repeat(900)]], 'b'.repeat(100));
    assert.ok(headBytes(r) > 900);
    checkHttpResponse(r, headBytes(r) + 100);
    assert.throws(() => checkHttpResponse(r, headBytes(r) + 99), { code: 'NIMBUS_ERR_BAD_RESPONSE', message: /with its headers; the limit is/ });
    // A header alone past the limit, with an empty body.
    assert.throws(() => checkHttpResponse(response([['x-big', 'a'.repeat(2000)]], ''), 1024), { code: 'NIMBUS_ERR_BAD_RESPONSE' });
  });
});
