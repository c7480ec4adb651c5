/**
 * Streamed bodies across the isolate boundary: a response whose body is a stream reaches
 * the host chunk by chunk, with backpressure and the payload limit; a streamed request
 * body is readable before it has all arrived; cancels, limits and abuse end well.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { systemClock } from '../../core/clock.ts';
import { isNimbusError, NimbusError } from '../../core/errors.ts';
import { bundle, eventCall, fetchResponse, handlerValue, httpCall, rejectsWith, startWith } from '../contract.ts';
import type { HttpResponseData, InstanceResult, StreamEnd } from '../port.ts';
import { Feed, readText } from '../testing/feed.ts';
import { WINDOW } from './host-streams.ts';
import { createIsolateRuntime } from './index.ts';

const quiet = () => undefined;
const text = (b: Uint8Array) => new TextDecoder().decode(b);

function feedOf(bytes: Uint8Array): Feed {
  const f = new Feed();
  f.push(new Uint8Array(bytes));
  f.end();
  return f;
}

function streamed(result: InstanceResult): { response: HttpResponseData; end: Promise<StreamEnd> } {
  const response = fetchResponse(result);
  assert.ok(response.stream, 'the response is streamed');
  assert.equal(result.mode, 'fetch');
  const end = (result as { streamEnd?: Promise<StreamEnd> }).streamEnd;
  assert.ok(end, 'a streamed response says when it ends');
  return { response, end };
}

/** A gate the function waits on through its outbound fetch; the test opens it. */
function gate() {
  let open!: () => void;
  let asked!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  const waiting = new Promise<void>((r) => (asked = r));
  const fetch = async () => {
    asked();
    await opened;
    return { status: 200, statusText: 'OK', headers: [] as Array<[string, string]>, body: new Uint8Array(0) };
  };
  return { open, waiting, fetch };
}

describe('streamed bodies in the isolate runtime', () => {
  const runtime = createIsolateRuntime({ clock: systemClock, prewarmMemoryMb: [64], onError: quiet, maxPayloadBytes: 256 * 1024 });
  after(() => runtime.close());

  it('sends the first chunk before the function has produced the last', async () => {
    const g = gate();
    const c = await startWith(
      runtime,
      await bundle(`export default { fetch() {
        const enc = new TextEncoder();
        return new Response(new ReadableStream({ async start(c) {
          c.enqueue(enc.encode('first;'));
          await fetch('http://gate/');
          c.enqueue(enc.encode('last'));
          c.close();
        } }), { headers: { 'content-type': 'text/plain' } });
      } };`),
      {},
      g.fetch,
    );
    const { response, end } = streamed(await c.instance.invoke(httpCall('s1')));
    assert.equal(response.status, 200);
    assert.ok(response.headers.some(([n, v]) => n === 'content-type' && v === 'text/plain'));
    assert.equal(text((await response.stream!.read())!), 'first;');
    // the function is still waiting on the gate: the last chunk does not exist yet
    await g.waiting;
    g.open();
    assert.equal(await readText(response.stream!), 'last');
    assert.deepEqual(await end, { error: null });
    c.instance.dispose();
  });

  it('sends a body stream that is already complete as one buffer', async () => {
    const c = await startWith(
      runtime,
      await bundle(`export default { fetch() {
        return new Response(new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('all ')); c.enqueue('at once'); c.close(); } }));
      } };`),
    );
    const res = fetchResponse(await c.instance.invoke(httpCall('s2')));
    assert.equal(res.stream, undefined);
    assert.equal(text(res.body), 'all at once');
    c.instance.dispose();
  });

  it('keeps a producer at most a few chunks ahead of a reader that does not read', async () => {
    const c = await startWith(
      runtime,
      await bundle(`
        let pulls = 0;
        export async function handler() { return pulls; }
        export default { fetch() {
          return new Response(new ReadableStream({ pull(c) { pulls++; c.enqueue(new Uint8Array(10)); } }));
        } };`),
    );
    const { response } = streamed(await c.instance.invoke(httpCall('s3')));
    await response.stream!.read();
    await response.stream!.read();
    // calls are answered in order after the isolate has handled what came before them
    for (let i = 0; i < 5; i++) await c.instance.invoke(eventCall(`p${i}`, null));
    const pulls = handlerValue(await c.instance.invoke(eventCall('p', null))) as number;
    assert.ok(pulls <= 2 + WINDOW + 1, `the producer was pulled ${pulls} times for 2 chunks read`);
    response.stream!.cancel(new NimbusError('NIMBUS_ERR_BAD_REQUEST', 'done'));
    c.instance.dispose();
  });

  it('stops a stream that produces forever at the payload limit, and the instance serves on', async () => {
    const c = await startWith(
      runtime,
      await bundle(`
        let cancelled = '';
        export async function handler() { return cancelled; }
        export default { fetch() {
          return new Response(new ReadableStream({
            pull(c) { c.enqueue(new Uint8Array(30000)); },
            cancel(reason) { cancelled = String(reason && reason.name); },
          }));
        } };`),
    );
    const { response, end } = streamed(await c.instance.invoke(httpCall('s4')));
    let bytes = 0;
    await assert.rejects(
      (async () => {
        for (let ch = await response.stream!.read(); ch !== null; ch = await response.stream!.read()) bytes += ch.byteLength;
      })(),
      (e: unknown) => isNimbusError(e) && e.code === 'NIMBUS_ERR_BAD_RESPONSE',
    );
    assert.ok(bytes <= 256 * 1024, `${bytes} bytes passed`);
    assert.equal((await end).error?.code, 'NIMBUS_ERR_BAD_RESPONSE');
    assert.equal(handlerValue(await c.instance.invoke(eventCall('after', null))), 'AbortError');
    c.instance.dispose();
  });

  it('cuts a huge chunk into pieces that add up to it', async () => {
    const c = await startWith(
      runtime,
      await bundle(`export default { fetch() {
        return new Response(new ReadableStream({ start(c) { c.enqueue(new Uint8Array(200000).fill(7)); setTimeout(() => c.close(), 1); } }));
      } };`),
    );
    const { response, end } = streamed(await c.instance.invoke(httpCall('s5')));
    let total = 0;
    let most = 0;
    for (let ch = await response.stream!.read(); ch !== null; ch = await response.stream!.read()) {
      total += ch.byteLength;
      most = Math.max(most, ch.byteLength);
      assert.ok(ch.every((b) => b === 7));
    }
    assert.equal(total, 200000);
    assert.ok(most <= 64 * 1024);
    assert.equal((await end).error, null);
    c.instance.dispose();
  });

  it('ends at the timeout when the stream never closes', async () => {
    const c = await startWith(
      runtime,
      await bundle(`export default { fetch() {
        return new Response(new ReadableStream({ start(c) { c.enqueue('x'); } }));
      } };`),
    );
    const { response, end } = streamed(await c.instance.invoke(httpCall('s6', {}, 300)));
    assert.equal(text((await response.stream!.read())!), 'x');
    await rejectsWith(response.stream!.read(), 'NIMBUS_ERR_TIMEOUT');
    assert.equal((await end).error?.code, 'NIMBUS_ERR_TIMEOUT');
  });

  it('a cancel from the host reaches the stream and the request signal; enqueue after it throws', async () => {
    const c = await startWith(
      runtime,
      await bundle(`
        const seen = [];
        export async function handler() { return seen; }
        export default { fetch(request) {
          request.signal.addEventListener('abort', () => seen.push('abort:' + request.signal.reason.name));
          let ctl;
          return new Response(new ReadableStream({
            start(c) { ctl = c; c.enqueue('one'); },
            cancel(reason) {
              seen.push('cancel:' + reason.name);
              try { ctl.enqueue('more'); } catch (e) { seen.push('enqueue:' + e.name); }
            },
          }));
        } };`),
    );
    const { response, end } = streamed(await c.instance.invoke(httpCall('s7')));
    assert.equal(text((await response.stream!.read())!), 'one');
    const gone = new NimbusError('NIMBUS_ERR_CLIENT_CLOSED', 'the client went away');
    response.stream!.cancel(gone);
    assert.equal((await end).error, gone);
    const seen = handlerValue(await c.instance.invoke(eventCall('after', null))) as string[];
    assert.deepEqual([...seen].sort(), ['abort:AbortError', 'cancel:AbortError', 'enqueue:TypeError']);
    c.instance.dispose();
  });

  it('what the abort listeners and the stream’s cancel log, a cancel that awaits too, is in the log before the invocation ends', async () => {
    const c = await startWith(
      runtime,
      await bundle(`export default { fetch(request) {
          request.signal.addEventListener('abort', () => console.log('signal aborted'));
          return new Response(new ReadableStream({
            start(c) { c.enqueue('one'); },
            async cancel(reason) {
              console.log('stream cancelled: ' + reason.name);
              await new Promise((r) => setTimeout(r, 1));
              console.log('cleaned up');
            },
          }));
        } };`),
    );
    const { response, end } = streamed(await c.instance.invoke(httpCall('s-log')));
    assert.equal(text((await response.stream!.read())!), 'one');
    const gone = new NimbusError('NIMBUS_ERR_CLIENT_CLOSED', 'the client went away');
    response.stream!.cancel(gone);
    const ended = await end;
    assert.equal(ended.error, gone);
    // the cancel runs on as waitUntil work: the record is completed when it settles
    assert.ok(ended.background instanceof Promise);
    await ended.background;
    assert.deepEqual(c.logs.filter((l) => l.invocationId === 's-log').map((l) => l.message), ['signal aborted', 'stream cancelled: AbortError', 'cleaned up']);
    c.instance.dispose();
  });

  it('a chunk that is not bytes fails the stream as the function error', async () => {
    const c = await startWith(
      runtime,
      await bundle(`export default { fetch() {
        return new Response(new ReadableStream({ async pull(c) { await null; c.enqueue({ not: 'bytes' }); } }));
      } };`),
    );
    const { response, end } = streamed(await c.instance.invoke(httpCall('s8')));
    await rejectsWith(response.stream!.read(), 'NIMBUS_ERR_FUNCTION_ERROR');
    assert.equal((await end).error?.code, 'NIMBUS_ERR_FUNCTION_ERROR');
    c.instance.dispose();
  });

  it('a stream that errors fails the response with its error', async () => {
    const c = await startWith(
      runtime,
      await bundle(`export default { fetch() {
        // the error on the pull after 'a' was taken: an error clears what is still queued
        let pulls = 0;
        return new Response(new ReadableStream({ pull(c) { if (pulls++ === 0) c.enqueue('a'); else c.error(new RangeError('broke')); } }));
      } };`),
    );
    const { response, end } = streamed(await c.instance.invoke(httpCall('s9')));
    assert.equal(text((await response.stream!.read())!), 'a');
    const extra = await rejectsWith(response.stream!.read(), 'NIMBUS_ERR_FUNCTION_ERROR');
    assert.equal(extra.errorName, 'RangeError');
    assert.equal(extra.errorMessage, 'broke');
    assert.equal((await end).error?.code, 'NIMBUS_ERR_FUNCTION_ERROR');
    c.instance.dispose();
  });

  it('waitUntil work after a stream keeps the invocation until it settles', async () => {
    const g = gate();
    const c = await startWith(
      runtime,
      await bundle(`export default { fetch(req, env, ctx) {
        ctx.waitUntil(fetch('http://gate/'));
        return new Response(new ReadableStream({ pull(c) { c.enqueue('x'); c.close(); } }));
      } };`),
      {},
      g.fetch,
    );
    const { response, end } = streamed(await c.instance.invoke(httpCall('s10')));
    assert.equal(await readText(response.stream!), 'x');
    const e = await end;
    assert.equal(e.error, null);
    assert.ok(e.background, 'the waitUntil work is still running');
    g.open();
    await e.background;
    c.instance.dispose();
  });

  it('a streamed request body is read as it arrives', async () => {
    const c = await startWith(
      runtime,
      await bundle(`export default { fetch(request) {
        const reader = request.body.getReader();
        return new Response(new ReadableStream({ async pull(c) {
          const { done, value } = await reader.read();
          if (done) c.close(); else c.enqueue(new TextEncoder().encode('[' + new TextDecoder().decode(value) + ']'));
        } }));
      } };`),
    );
    const feed = new Feed();
    const { response, end } = streamed(await c.instance.invoke(httpCall('u1', { method: 'POST', stream: feed })));
    feed.push('one');
    assert.equal(text((await response.stream!.read())!), '[one]');
    // the upload has not ended, yet its first chunk was read and answered
    feed.push('two');
    assert.equal(text((await response.stream!.read())!), '[two]');
    feed.end();
    assert.equal(await response.stream!.read(), null);
    assert.equal((await end).error, null);
    c.instance.dispose();
  });

  it('a streamed request body read whole with text()', async () => {
    const c = await startWith(runtime, await bundle(`export default { async fetch(request) { return new Response((await request.text()).toUpperCase()); } };`));
    const feed = new Feed();
    const pending = c.instance.invoke(httpCall('u2', { method: 'POST', stream: feed }));
    feed.push('abc');
    feed.push('def');
    feed.end();
    assert.equal(text(fetchResponse(await pending).body), 'ABCDEF');
    c.instance.dispose();
  });

  it('a body the function never reads is cancelled when the invocation ends', async () => {
    const c = await startWith(runtime, await bundle(`export default { fetch() { return new Response('ignored it'); } };`));
    const feed = new Feed();
    const res = fetchResponse(await c.instance.invoke(httpCall('u3', { method: 'POST', stream: feed })));
    assert.equal(text(res.body), 'ignored it');
    assert.equal((await feed.whenCancelled).code, 'NIMBUS_ERR_BAD_REQUEST');
    assert.equal(feed.reads, 0);
    c.instance.dispose();
  });

  it('an upload that fails (client gone) fails the function read; the function cancelling a body reaches the source', async () => {
    const c = await startWith(
      runtime,
      await bundle(`export default { async fetch(request) {
        if (request.url.endsWith('/cancel')) { await request.body.cancel('enough'); return new Response('cancelled'); }
        try { await request.text(); return new Response('read'); } catch (e) { return new Response('failed: ' + e.name); }
      } };`),
    );
    const feed = new Feed();
    const pending = c.instance.invoke(httpCall('u4', { method: 'POST', stream: feed, url: 'http://x/fail' }));
    feed.push('a');
    feed.fail(new NimbusError('NIMBUS_ERR_BAD_REQUEST', 'the client closed the connection'));
    assert.equal(text(fetchResponse(await pending).body), 'failed: TypeError');
    const feed2 = new Feed();
    const res = fetchResponse(await c.instance.invoke(httpCall('u5', { method: 'POST', stream: feed2, url: 'http://x/cancel' })));
    assert.equal(text(res.body), 'cancelled');
    assert.ok(feed2.cancelled);
    c.instance.dispose();
  });

  it('an upload that never comes ends at the timeout; the instance is stopped, not the host', async () => {
    const c = await startWith(runtime, await bundle(`export default { async fetch(request) { return new Response(await request.text()); } };`));
    const feed = new Feed();
    const pending = c.instance.invoke(httpCall('u8', { method: 'POST', stream: feed }, 300));
    feed.push('a little');
    await rejectsWith(pending, 'NIMBUS_ERR_TIMEOUT');
    assert.ok(feed.cancelled, 'the upload is let go');
  });

  it('a streamed response gzipped by CompressionStream; a decompression bomb fails in the function, which serves on', async () => {
    const c = await startWith(
      runtime,
      await bundle(`export default { async fetch(request) {
        if (request.method === 'POST') {
          try { await new Response(request.body.pipeThrough(new DecompressionStream('gzip'))).arrayBuffer(); return new Response('inflated'); }
          catch (e) { return new Response('refused: ' + e.name); }
        }
        const words = new ReadableStream({ start(c) { c.enqueue('one '); setTimeout(() => { c.enqueue('two'); c.close(); }, 1); } });
        return new Response(words.pipeThrough(new TextEncoderStream()).pipeThrough(new CompressionStream('gzip')), { headers: { 'content-encoding': 'gzip' } });
      } };`),
      { memoryMb: 16 },
    );
    const { response } = streamed(await c.instance.invoke(httpCall('z1')));
    const chunks: Uint8Array[] = [];
    for (let ch = await response.stream!.read(); ch !== null; ch = await response.stream!.read()) chunks.push(ch);
    assert.equal(gunzipSync(Buffer.concat(chunks)).toString(), 'one two');
    const feed = new Feed();
    const pending = c.instance.invoke(httpCall('z2', { method: 'POST', stream: feed }));
    feed.push(new Uint8Array(gzipSync(new Uint8Array(64 << 20))));
    feed.end();
    assert.equal(text(fetchResponse(await pending).body), 'refused: TypeError');
    assert.equal(text(fetchResponse(await c.instance.invoke(httpCall('z3', { method: 'POST', stream: feedOf(gzipSync('small')) }))).body), 'inflated');
    c.instance.dispose();
  });

  it('a stream of another invocation cannot be read or cancelled by guessing its number', async () => {
    const c = await startWith(
      runtime,
      await bundle(`export default { async fetch(request) {
        if (request.url.endsWith('/slow')) return new Response(await request.text());
        return new Response('other');
      } };`),
    );
    const feed = new Feed();
    const slow = c.instance.invoke(httpCall('u6', { method: 'POST', stream: feed, url: 'http://x/slow' }));
    // another invocation runs while the first one's upload is open
    assert.equal(text(fetchResponse(await c.instance.invoke(httpCall('u7'))).body), 'other');
    feed.push('mine');
    feed.end();
    assert.equal(text(fetchResponse(await slow).body), 'mine');
    c.instance.dispose();
  });
});
