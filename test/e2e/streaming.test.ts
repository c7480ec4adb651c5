/**
 * Streamed bodies through the real server: a streamed response's first chunk reaches the
 * client before the function has produced its last (ordering, not timing: the function
 * waits on a gate this test opens after reading chunk 1); Server-Sent Events; a client that
 * disconnects cancels the stream and the record says so; an upload read as it arrives; the
 * payload limit on streamed bytes; an outbound fetch proxying a streamed upstream.
 */
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { invocationRecord, startPlatform, type RunningPlatform } from '../helpers/platform.ts';
import { ChunkReader, echoInParts, Gates, gatedEvents, get, getToTheEnd, readThenHangUp } from '../helpers/streams.ts';

type Rec = Record<string, unknown>;

describe('streamed bodies, end to end', () => {
  let p: RunningPlatform;
  const gates = new Gates();
  before(async () => {
    await new Promise<void>((r) => gates.server.listen(0, '127.0.0.1', r));
    p = await startPlatform({ args: ['--egress-allow', '127.0.0.1', '--payload-limit', '1mb'] });
  });
  after(async () => {
    await p.stop();
    p.cleanup();
    gates.server.close();
  });

  const record = (id: string, until: (r: Rec) => boolean = () => true) =>
    invocationRecord<Rec>(p, id, { ms: 15_000, until });

  it('the first chunk reaches the client before the function has produced the last; the record covers the whole stream', async () => {
    await p.deploy(
      'ticker',
      `export default { fetch() {
        const enc = new TextEncoder();
        return new Response(new ReadableStream({ async start(c) {
          c.enqueue(enc.encode('chunk one;'));
          await fetch('${gates.url}/gate/ticker');
          c.enqueue(enc.encode('chunk two'));
          c.close();
        } }), { headers: { 'content-type': 'text/plain' } });
      } };`,
    );
    const { req, res } = get(`${p.url}/fn/ticker`);
    req.end();
    const response = await res;
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['transfer-encoding'], 'chunked');
    assert.equal(response.headers['content-length'], undefined);
    const reader = new ChunkReader(response);
    assert.equal(await reader.next(), 'chunk one;');
    await gates.waiting('ticker');
    gates.open('ticker');
    assert.equal(await reader.rest(), 'chunk two');
    const rec = await record(response.headers['x-nimbus-invocation-id'] as string);
    assert.equal(rec.status, 'success');
    assert.equal(rec.statusCode, 200);
    assert.equal(rec.responseBytes, 'chunk one;chunk two'.length);
    assert.ok((rec.billedMs as number) >= 1);
  });

  it('a caller that is not HTTP (the invoke API) gets a streamed body whole, within the payload limit', async () => {
    await p.deploy(
      'json-stream',
      `export default { fetch() {
        const parts = ['{"a":', '1,"b":', '[1,2]}'];
        return new Response(new ReadableStream({ async pull(c) { await null; const p = parts.shift(); if (p === undefined) c.close(); else c.enqueue(p); } }), { headers: { 'content-type': 'application/json' } });
      } };`,
    );
    const res = await p.api('/api/v1/functions/json-stream/invoke', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { a: 1, b: [1, 2] });
    await p.deploy('endless', `export default { fetch() { return new Response(new ReadableStream({ pull(c) { c.enqueue(new Uint8Array(50000)); } })); } };`);
    const endless = await p.api('/api/v1/functions/endless/invoke', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(endless.status, 502);
    assert.equal(((await endless.json()) as Rec).code, 'NIMBUS_ERR_BAD_RESPONSE');
  });

  it('Server-Sent Events pass through the gateway as they are sent', async () => {
    await p.deploy(
      'sse',
      `export default { fetch() {
        const enc = new TextEncoder();
        let n = 0;
        return new Response(new ReadableStream({ async pull(c) {
          n++;
          if (n > 1) await fetch('${gates.url}/gate/sse-' + n);
          if (n > 3) { c.close(); return; }
          c.enqueue(enc.encode('id: ' + n + '\\ndata: event ' + n + '\\n\\n'));
        } }), { headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' } });
      } };`,
    );
    const res = await fetch(`${p.url}/fn/sse`, { headers: { accept: 'text/event-stream' } });
    assert.equal(res.headers.get('content-type'), 'text/event-stream');
    // event 2 does not exist until the test opens its gate; and so on
    await gatedEvents(gates, res, 3, true);
  });

  it('a client that disconnects cancels the stream, aborts request.signal, and ends the invocation as NIMBUS_ERR_CLIENT_CLOSED', async () => {
    await p.deploy(
      'forever',
      `export default { fetch(request) {
        request.signal.addEventListener('abort', () => console.log('signal aborted'));
        return new Response(new ReadableStream({
          async pull(c) { await new Promise((r) => setTimeout(r, 2)); c.enqueue(new TextEncoder().encode('tick\\n')); },
          cancel(reason) { console.log('stream cancelled: ' + reason.name); },
        }));
      } };`,
    );
    const id = await readThenHangUp(`${p.url}/fn/forever`, /tick/);
    const rec = await record(id);
    assert.equal(rec.status, 'error');
    assert.equal(rec.errorCode, 'NIMBUS_ERR_CLIENT_CLOSED');
    const logs = (rec.logs as Array<{ msg: string }>).map((l) => l.msg);
    assert.ok(logs.includes('stream cancelled: AbortError'), logs.join('|'));
    assert.ok(logs.includes('signal aborted'), logs.join('|'));
  });

  it('an upload is read as it arrives: the answer to its first part comes before its last is sent', async () => {
    await p.deploy(
      'echo-stream',
      `export default { fetch(request) {
        const reader = request.body.getReader();
        const dec = new TextDecoder();
        return new Response(new ReadableStream({ async pull(c) {
          const { done, value } = await reader.read();
          if (done) { c.enqueue(new TextEncoder().encode('<end>')); c.close(); return; }
          c.enqueue(new TextEncoder().encode('[' + dec.decode(value) + ']'));
        } }));
      } };`,
    );
    const { id, rest } = await echoInParts(`${p.url}/fn/echo-stream`);
    assert.equal(rest, '<end>');
    const rec = await record(id);
    assert.equal(rec.status, 'success');
    assert.equal(rec.requestBytes, 'part onepart two'.length);
  });

  it('a large upload to a function that reads it whole; one that never reads it; both answer and the platform serves on', async () => {
    await p.deploy('sum', `export default { async fetch(request) { const b = new Uint8Array(await request.arrayBuffer()); let s = 0; for (const x of b) s += x; return new Response(b.length + ':' + s); } };`);
    await p.deploy('ignore', `export default { fetch() { return new Response('did not read'); } };`);
    const big = new Uint8Array(300_000).fill(1);
    let res = await fetch(`${p.url}/fn/sum`, { method: 'POST', body: big });
    assert.equal(await res.text(), '300000:300000');
    res = await fetch(`${p.url}/fn/ignore`, { method: 'POST', body: big });
    assert.equal(await res.text(), 'did not read');
    res = await fetch(`${p.url}/fn/sum`, { method: 'POST', body: 'abc' });
    assert.equal(await res.text(), '3:294');
  });

  it('a chunked upload past the payload limit fails the function read (a 413 when it lets that fail); a declared one is refused before it runs', async () => {
    const big = new Uint8Array(1536 * 1024).fill(2);
    // sent chunked: no length to judge it by, so the function reads until the limit
    const res = await fetch(`${p.url}/fn/sum`, {
      method: 'POST',
      body: new ReadableStream({ start(c) { c.enqueue(big.subarray(0, 512 * 1024)); c.enqueue(big.subarray(512 * 1024)); c.close(); } }),
      duplex: 'half',
    } as RequestInit);
    // the function's read failed and it let the error escape: the caller's fault, a 413
    assert.equal(res.status, 413);
    const problem = (await res.json()) as Rec;
    assert.equal(problem.code, 'NIMBUS_ERR_PAYLOAD_TOO_LARGE');
    assert.match(String(problem.detail), /exceeds the 1048576-byte limit/);
    const declared = await fetch(`${p.url}/fn/sum`, { method: 'POST', body: big });
    assert.equal(declared.status, 413);
    assert.equal(((await declared.json()) as Rec).code, 'NIMBUS_ERR_PAYLOAD_TOO_LARGE');
  });

  it('a stream that produces forever is cut at the payload limit; the record says NIMBUS_ERR_BAD_RESPONSE', async () => {
    await p.deploy('flood', `export default { fetch() { return new Response(new ReadableStream({ pull(c) { c.enqueue(new Uint8Array(50000)); } })); } };`);
    const { id, ended, bytes } = await getToTheEnd(`${p.url}/fn/flood`);
    assert.notEqual(ended, 'end', 'the client must see the body cut off, not complete');
    assert.ok(bytes <= 1024 * 1024, `${bytes} bytes reached the client`);
    const rec = await record(id);
    assert.equal(rec.errorCode, 'NIMBUS_ERR_BAD_RESPONSE');
    assert.equal((await fetch(`${p.url}/fn/ticker`, { method: 'HEAD' })).status, 200);
  });

  it("a function's outbound fetch sends a stream body as it is produced", async () => {
    let firstPart!: (s: string) => void;
    const gotFirst = new Promise<string>((r) => (firstPart = r));
    gates.routes.set('/upload', (req, res) => {
      let all = '';
      req.setEncoding('utf8');
      req.on('data', (d: string) => {
        if (all === '') firstPart(d);
        all += d;
      });
      req.on('end', () => res.end(`upstream got: ${all} (${req.headers['transfer-encoding']})`));
    });
    await p.deploy(
      'uploader',
      `export default { async fetch() {
        const enc = new TextEncoder();
        const body = new ReadableStream({ async start(c) {
          c.enqueue(enc.encode('part a;'));
          await fetch('${gates.url}/gate/uploader');
          c.enqueue(enc.encode('part b'));
          c.close();
        } });
        const up = await fetch('${gates.url}/upload', { method: 'POST', body, duplex: 'half' });
        return new Response(await up.text());
      } };`,
    );
    const answer = fetch(`${p.url}/fn/uploader`).then((r) => r.text());
    // the upstream has the first part while the function has not produced the second
    assert.equal(await gotFirst, 'part a;');
    await gates.waiting('uploader');
    gates.open('uploader');
    assert.equal(await answer, 'upstream got: part a;part b (chunked)');
  });

  it('a function proxies a streamed upstream answer chunk by chunk', async () => {
    let upstreamRes: ServerResponse | null = null;
    const upstreamReady = new Promise<void>((resolve) => {
      gates.routes.set('/upstream', (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('up one;');
        upstreamRes = res;
        resolve();
      });
    });
    await p.deploy(
      'proxy',
      `export default { async fetch() {
        const up = await fetch('${gates.url}/upstream');
        return new Response(up.body, { headers: { 'x-proxied': up.headers.get('content-type') } });
      } };`,
    );
    const { req, res } = get(`${p.url}/fn/proxy`);
    req.end();
    const response = await res;
    assert.equal(response.headers['x-proxied'], 'text/plain');
    const reader = new ChunkReader(response);
    await upstreamReady;
    assert.equal(await reader.next(), 'up one;');
    // the upstream has not finished: its second part does not exist yet
    upstreamRes!.end('up two');
    assert.equal(await reader.rest(), 'up two');
  });
});
