/**
 * The smaller Web-platform gaps of issue #16, through the real server: a chunked upload past
 * the payload limit is a 413; a client that goes away before a buffered answer aborts the
 * invocation (request.signal, NIMBUS_ERR_CLIENT_CLOSED) and, like one that leaves a stream,
 * is not counted as a function error; unhandled promise rejections reach the invocation's
 * log with source positions; URLPattern; EventSource against an SSE server this test runs.
 */
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { eventually, invocationRecord, startPlatform, type RunningPlatform } from '../helpers/platform.ts';

type Rec = Record<string, unknown>;

/** Local routes the functions call; `asked(path)` resolves once a function has called `path`. */
class Upstream {
  readonly server: Server;
  readonly routes = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>();
  readonly #asked = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  constructor() {
    this.server = createServer((req, res) => {
      const path = req.url ?? '';
      this.#entry(path).resolve();
      const route = this.routes.get(path);
      if (route) route(req, res);
      // else: never answered (the function waits on it)
    });
  }
  #entry(path: string) {
    let e = this.#asked.get(path);
    if (e === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.#asked.set(path, (e = { promise, resolve }));
    }
    return e;
  }
  asked(path: string): Promise<void> {
    return this.#entry(path).promise;
  }
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
}

describe('Web platform gaps, end to end', () => {
  let p: RunningPlatform;
  const up = new Upstream();
  before(async () => {
    await new Promise<void>((r) => up.server.listen(0, '127.0.0.1', r));
    p = await startPlatform({ args: ['--egress-allow', '127.0.0.1', '--payload-limit', '1mb'] });
  });
  after(async () => {
    await p.stop();
    p.cleanup();
    up.server.closeAllConnections();
    up.server.close();
  });

  const record = (id: string) => invocationRecord<Rec>(p, id, { ms: 15_000 });
  const recordsOf = (fn: string, n: number) =>
    eventually(async () => {
      const r = await p.api(`/api/v1/invocations?function=${fn}`);
      const items = r.ok ? ((await r.json()) as { items: Rec[] }).items : [];
      return items.length >= n ? items : null;
    }, 15_000);

  it('a chunked upload past the payload limit that the function lets fail is a 413, recorded as NIMBUS_ERR_PAYLOAD_TOO_LARGE', async () => {
    await p.deploy('sum413', `export default { async fetch(request) { const b = new Uint8Array(await request.arrayBuffer()); return new Response(String(b.length)); } };`);
    await p.deploy('catch413', `export default { async fetch(request) { try { await request.arrayBuffer(); return new Response('read'); } catch (e) { return new Response('mine: ' + e.name, { status: 422 }); } } };`);
    const big = new Uint8Array(1536 * 1024).fill(2);
    const chunked = () =>
      ({
        method: 'POST',
        body: new ReadableStream({ start(c) { c.enqueue(big.subarray(0, 512 * 1024)); c.enqueue(big.subarray(512 * 1024)); c.close(); } }),
        duplex: 'half',
      }) as RequestInit;
    const res = await fetch(`${p.url}/fn/sum413`, chunked());
    assert.equal(res.status, 413);
    const problem = (await res.json()) as Rec;
    assert.equal(problem.code, 'NIMBUS_ERR_PAYLOAD_TOO_LARGE');
    const rec = await record(res.headers.get('x-nimbus-invocation-id')!);
    assert.equal(rec.errorCode, 'NIMBUS_ERR_PAYLOAD_TOO_LARGE');
    assert.equal(rec.statusCode, 413);
    // a function that catches the failed read answers for itself
    const own = await fetch(`${p.url}/fn/catch413`, chunked());
    assert.equal(own.status, 422);
    assert.equal(await own.text(), 'mine: TypeError');
  });

  it('a client that goes away before a buffered answer aborts request.signal and ends the invocation as NIMBUS_ERR_CLIENT_CLOSED', async () => {
    await p.deploy(
      'slow-buffered',
      `export default { async fetch(request) {
        request.signal.addEventListener('abort', () => console.log('signal aborted: ' + request.signal.reason.name));
        await fetch(${JSON.stringify(up.url)} + '/never');
        return new Response('late');
      } };`,
    );
    const req = httpRequest(`${p.url}/fn/slow-buffered`);
    req.on('error', () => undefined);
    req.end();
    await up.asked('/never');
    req.destroy();
    const [rec] = await recordsOf('slow-buffered', 1);
    assert.equal(rec!.errorCode, 'NIMBUS_ERR_CLIENT_CLOSED');
    const full = await record(rec!.id as string);
    const logs = (full.logs as Array<{ msg: string }>).map((l) => l.msg);
    assert.ok(logs.includes('signal aborted: AbortError'), logs.join('|'));
    // the instance serves on
    const again = await fetch(`${p.url}/fn/sum413`, { method: 'POST', body: 'abc' });
    assert.equal(await again.text(), '3');
  });

  it('a client that leaves (buffered or streamed) is not counted in the error rate; a function error is', async () => {
    await p.deploy(
      'leaver',
      `export default { async fetch(request) {
        const u = new URL(request.url);
        if (u.searchParams.has('throw')) throw new Error('mine');
        if (u.searchParams.has('wait')) { await fetch(${JSON.stringify(up.url)} + '/leaver-wait'); return new Response('x'); }
        return new Response(new ReadableStream({ async pull(c) { await new Promise((r) => setTimeout(r, 2)); c.enqueue(new TextEncoder().encode('tick')); } }));
      } };`,
    );
    // streamed, then left
    const streamed = httpRequest(`${p.url}/fn/leaver`);
    streamed.on('error', () => undefined);
    streamed.end();
    const res = await new Promise<IncomingMessage>((r) => streamed.on('response', r));
    res.on('error', () => undefined);
    await new Promise((r) => res.once('data', r));
    streamed.destroy();
    // buffered, then left
    const buffered = httpRequest(`${p.url}/fn/leaver?wait`);
    buffered.on('error', () => undefined);
    buffered.end();
    await up.asked('/leaver-wait');
    buffered.destroy();
    const failed = await fetch(`${p.url}/fn/leaver?throw`);
    assert.equal(failed.status, 500);
    const items = await recordsOf('leaver', 3);
    assert.deepEqual(items.map((r) => r.errorCode).sort(), ['NIMBUS_ERR_CLIENT_CLOSED', 'NIMBUS_ERR_CLIENT_CLOSED', 'NIMBUS_ERR_FUNCTION_ERROR']);
    const top = await eventually(async () => {
      const body = (await (await p.api('/api/v1/top?window=1h')).json()) as { items: Rec[] };
      const row = body.items.find((i) => i.function === 'leaver');
      return row !== undefined && row.requests === 3 ? row : null;
    }, 15_000);
    assert.equal(top.errors, 1);
  });

  it('an unhandled rejection is in the invocation\'s log at level error, its stack in the positions of the source deployed', async () => {
    await p.deploy(
      'rejects',
      `function charge(total: number): void {
  Promise.reject(new RangeError('order has a negative total ' + total));
}
export default { async fetch() { charge(-1); await new Promise((r) => setTimeout(r, 1)); return new Response('answered'); } };`,
    );
    const res = await fetch(`${p.url}/fn/rejects`);
    assert.equal(await res.text(), 'answered');
    const rec = await record(res.headers.get('x-nimbus-invocation-id')!);
    assert.equal(rec.status, 'success');
    const errors = (rec.logs as Array<{ level: string; msg: string }>).filter((l) => l.level === 'error').map((l) => l.msg);
    assert.equal(errors.length, 1, errors.join('|'));
    assert.match(errors[0]!, /^Uncaught \(in promise\) RangeError: order has a negative total -1\n\s+at charge \(index\.ts:2:18\)/);
  });

  it('URLPattern is there for a function that uses it (from urlpattern-polyfill, bundled into it only)', async () => {
    await p.deploy(
      'patterns',
      `const books = new URLPattern({ pathname: '/books/:id(\\\\d+)' });
export default { fetch(request) {
  const m = books.exec(request.url);
  const wild = new URLPattern('https://*.example.com/:path*');
  return Response.json({
    id: m ? m.pathname.groups.id : null,
    test: books.test({ pathname: '/books/abc' }),
    host: wild.exec('https://cdn.example.com/a/b')?.hostname.groups[0] ?? null,
    path: wild.exec('https://cdn.example.com/a/b')?.pathname.groups.path ?? null,
  });
} };`,
    );
    const hit = (await (await fetch(`${p.url}/fn/patterns/books/42`)).json()) as Rec;
    assert.deepEqual(hit, { id: '42', test: false, host: 'cdn', path: 'a/b' });
    const miss = (await (await fetch(`${p.url}/fn/patterns/books/x`)).json()) as Rec;
    assert.equal(miss.id, null);
  });

  it('EventSource reads an SSE server through the platform\'s fetch (egress rules apply): messages, named events, ids, retry', async () => {
    let connections = 0;
    up.routes.set('/events', (req, res) => {
      connections++;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      if (connections === 1) {
        assert.equal(req.headers['last-event-id'], undefined);
        res.write('retry: 5\n\ndata: one\nid: 1\n\n');
        res.write('event: tick\ndata: two\ndata: lines\n\n');
        res.end();
      } else {
        res.end(`data: again after ${String(req.headers['last-event-id'])}\n\n`);
      }
    });
    await p.deploy(
      'sse-client',
      `export default { async fetch(request) {
  const target = new URL(request.url).searchParams.get('url');
  const got = [];
  let resolve;
  const done = new Promise((r) => (resolve = r));
  const es = new EventSource(target);
  es.onmessage = (e) => { got.push('message:' + e.data + ':' + e.lastEventId); if (got.length === 3) resolve(); };
  es.addEventListener('tick', (e) => { got.push('tick:' + e.data); });
  // the end of a connection is an error event too (then it reconnects): only the first one before any message counts here
  es.onerror = (e) => { if (got.length === 0) { got.push('error:' + es.readyState + ':' + /may not reach/.test(String(e.message))); resolve(); } };
  await done;
  es.close();
  return Response.json(got);
} };`,
      { timeoutMs: 5000 },
    );
    const res = await fetch(`${p.url}/fn/sse-client?url=${encodeURIComponent(up.url + '/events')}`);
    // the reconnection sent Last-Event-ID: 1 (the package gives an event's own id as its lastEventId, '' when it has none)
    assert.deepEqual(await res.json(), ['message:one:1', 'tick:two\nlines', 'message:again after 1:']);
    // a refused address: the egress rule applies to EventSource as to fetch
    const refused = await fetch(`${p.url}/fn/sse-client?url=${encodeURIComponent('http://10.0.0.1/events')}`);
    assert.deepEqual(await refused.json(), ['error:0:true']);
  });
});
