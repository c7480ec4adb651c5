/**
 * A request body crosses into the isolate as text when it is ASCII-only (wire.ts
 * requestBody), else as bytes: either way every way of reading it gives the bytes sent.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { systemClock } from '../../core/clock.ts';
import { bundle, fetchResponse, httpCall, startWith } from '../contract.ts';
import { createIsolateRuntime } from './index.ts';
import { requestBody } from './wire.ts';

const quiet = () => undefined;

describe('request bodies', () => {
  const runtime = createIsolateRuntime({ clock: systemClock, prewarmMemoryMb: [64], onError: quiet });
  after(() => runtime.close());

  it('ASCII-only bytes go as text, any other as bytes', () => {
    assert.equal(requestBody(new TextEncoder().encode('{"a":1}')), '{"a":1}');
    assert.ok(requestBody(new TextEncoder().encode('é')) instanceof ArrayBuffer);
    assert.ok(requestBody(new Uint8Array([0x7f, 0x80])) instanceof ArrayBuffer);
    assert.ok(requestBody(new Uint8Array(0)) instanceof ArrayBuffer);
  });

  it('text, json, arrayBuffer, bytes, blob, formData, the stream and clone all read the bytes sent', async () => {
    const h = await startWith(
      runtime,
      await bundle(`export default { async fetch(request) {
  const how = new URL(request.url).pathname.slice(1);
  const hex = (b) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, '0')).join('');
  let out;
  if (how === 'text') out = await request.text();
  else if (how === 'json') out = JSON.stringify(await request.json());
  else if (how === 'arrayBuffer') out = hex(await request.arrayBuffer());
  else if (how === 'bytes') out = hex(await request.bytes());
  else if (how === 'blob') out = hex(await (await request.blob()).arrayBuffer());
  else if (how === 'form') out = JSON.stringify([...(await request.formData())]);
  else if (how === 'stream') { const chunks = []; for await (const c of request.body) chunks.push(hex(c)); out = chunks.join(''); }
  else if (how === 'clone') out = (await request.clone().text()) + '|' + (await request.text());
  return new Response(out + '|' + request.bodyUsed);
} };`),
    );
    try {
      const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
      const send = async (how: string, body: Uint8Array, headers: Array<[string, string]> = []) =>
        new TextDecoder().decode(fetchResponse(await h.instance.invoke(httpCall(`rb-${how}-${body.length}`, { url: `http://127.0.0.1/${how}`, method: 'POST', body, headers }))).body);
      const ascii = new TextEncoder().encode('{"name":"a b","n":[1,2]}');
      const utf8 = new TextEncoder().encode('{"name":"é ☃"}');
      const binary = new Uint8Array([0x00, 0x7f, 0x80, 0xc3, 0xff]);
      for (const body of [ascii, utf8]) {
        assert.equal(await send('text', body), `${new TextDecoder().decode(body)}|true`);
        assert.equal(await send('json', body), `${JSON.stringify(JSON.parse(new TextDecoder().decode(body)))}|true`);
        assert.equal(await send('clone', body), `${new TextDecoder().decode(body)}|${new TextDecoder().decode(body)}|true`);
      }
      for (const body of [ascii, utf8, binary]) {
        for (const how of ['arrayBuffer', 'bytes', 'blob', 'stream']) assert.equal(await send(how, body), `${hex(body)}|true`, how);
      }
      assert.equal(await send('form', new TextEncoder().encode('a=1&b=x+y'), [['content-type', 'application/x-www-form-urlencoded']]), `${JSON.stringify([['a', '1'], ['b', 'x y']])}|true`);
    } finally {
      h.instance.dispose();
    }
  });
});
