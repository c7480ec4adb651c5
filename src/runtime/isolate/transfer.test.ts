/**
 * structuredClone's `transfer` and BYOB readers detaching, inside an isolate, from the HTML
 * standard (StructuredSerializeWithTransfer) and the Streams standard (TransferArrayBuffer).
 * They need ArrayBuffer.prototype.transfer, which V8 gives isolates when Node is started with
 * --harmony-rab-gsab-transfer (scripts/test.mjs and `nimbus up` give it); started without
 * it, the last test checks the DataCloneError that says so.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../../core/clock.ts';
import { bundleSource } from '../../deploy/bundle.ts';
import { eventCall, fetchResponse, handlerValue, httpCall, startWith } from '../contract.ts';
import { createIsolateRuntime } from './index.ts';

const flagged = typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === 'function';

const source = `
const err = (f) => { try { f(); return 'no error'; } catch (e) { return e.name + (e.name === 'DataCloneError' ? ':' + e.code : ''); } };
const cases = {
  moved() {
    const buf = new Uint8Array([1, 2, 3, 4]).buffer;
    const view = new Uint8Array(buf, 1, 2);
    const out = structuredClone({ buf, view, again: buf }, { transfer: [buf] });
    return {
      sourceDetached: buf.detached, sourceLength: buf.byteLength, viewLength: view.length,
      cloneBytes: [...new Uint8Array(out.buf)], cloneView: [...out.view], sameBuffer: out.view.buffer === out.buf && out.again === out.buf,
      viewOffset: out.view.byteOffset,
    };
  },
  resizable() {
    const buf = new ArrayBuffer(2, { maxByteLength: 8 });
    new Uint8Array(buf).set([7, 8]);
    const out = structuredClone(buf, { transfer: [buf] });
    return { detached: buf.detached, resizable: out.resizable, max: out.maxByteLength, bytes: [...new Uint8Array(out)] };
  },
  notInValue() {
    const buf = new ArrayBuffer(4);
    const out = structuredClone(1, { transfer: [buf] });
    return { out, detached: buf.detached };
  },
  uncloneableLeavesAttached() {
    const buf = new ArrayBuffer(4);
    return { error: err(() => structuredClone({ buf, f() {} }, { transfer: [buf] })), detached: buf.detached };
  },
  listErrors() {
    const buf = new ArrayBuffer(4);
    const gone = new ArrayBuffer(4);
    structuredClone(gone, { transfer: [gone] });
    return {
      twice: err(() => structuredClone(buf, { transfer: [buf, buf] })),
      detachedInList: err(() => structuredClone(null, { transfer: [gone] })),
      detachedInValue: err(() => structuredClone(gone)),
      notTransferable: err(() => structuredClone(null, { transfer: [{}] })),
      view: err(() => structuredClone(null, { transfer: [new Uint8Array(2)] })),
      primitive: err(() => structuredClone(null, { transfer: [1] })),
      notIterable: err(() => structuredClone(null, { transfer: 5 })),
      stillAttached: buf.detached,
    };
  },
  async byob() {
    const rs = new ReadableStream({ type: 'bytes', pull(c) { const v = c.byobRequest.view; v[0] = 42; c.byobRequest.respond(1); } });
    const reader = rs.getReader({ mode: 'byob' });
    const mine = new Uint8Array(4);
    const { value } = await reader.read(mine);
    return { givenDetached: mine.buffer.detached, value: [...value], valueLength: value.buffer.byteLength };
  },
  async body() {
    const reader = new Response('abc').body.getReader({ mode: 'byob' });
    const mine = new Uint8Array(8);
    const { value } = await reader.read(mine);
    const blobReader = new Blob(['xy']).stream().getReader({ mode: 'byob' });
    const other = new Uint8Array(8);
    const blob = await blobReader.read(other);
    // a Blob body read through a BYOB reader leaves the Blob whole (its bytes are not what is moved)
    const shared = new Blob(['hello']);
    const first = await new Response(shared).body.getReader({ mode: 'byob' }).read(new Uint8Array(8));
    const again = await new Response(shared).text();
    return {
      text: new TextDecoder().decode(value), detached: mine.buffer.detached, blob: new TextDecoder().decode(blob.value), blobDetached: other.buffer.detached,
      first: new TextDecoder().decode(first.value), again, size: shared.size, blobText: await shared.text(),
    };
  },
  grow() {
    // transfer(newLength) allocates: the isolate's memory limit holds it as it holds new ArrayBuffer()
    const kept = [];
    try {
      for (let i = 0; i < 64; i++) kept.push(new ArrayBuffer(8).transfer(8 * 1024 * 1024));
      return 'allocated ' + kept.length * 8 + ' MB';
    } catch (e) { return e.name; }
  },
  async unflagged() {
    const buf = new ArrayBuffer(4);
    let message = '';
    try { structuredClone(buf, { transfer: [buf] }); } catch (e) { message = e.name + ': ' + e.message; }
    // BYOB readers still work, handing the buffer on undetached
    const mine = new Uint8Array(8);
    const { value } = await new Response('abc').body.getReader({ mode: 'byob' }).read(mine);
    return { message, transferType: typeof ArrayBuffer.prototype.transfer, byteLength: buf.byteLength, byob: new TextDecoder().decode(value), same: value.buffer === mine.buffer };
  },
};
export async function handler(event) { return cases[event](); }
`;

describe('structuredClone transfer and BYOB detaching, in an isolate', () => {
  const runtime = createIsolateRuntime({ clock: systemClock, prewarmMemoryMb: [64], onError: () => undefined });
  let h: Awaited<ReturnType<typeof startWith>>;
  const run = async (name: string) => handlerValue(await h.instance.invoke(eventCall(`t-${name}`, name)));
  before(async () => {
    h = await startWith(runtime, (await bundleSource({ 'index.js': source }, 'index.js')).code);
  });
  after(async () => {
    await h.instance.dispose();
    await runtime.close();
  });

  it('a transferred buffer is detached in the source; the clone holds its bytes, views on it keep their place', { skip: !flagged && 'needs node --harmony-rab-gsab-transfer' }, async () => {
    assert.deepEqual(await run('moved'), {
      sourceDetached: true, sourceLength: 0, viewLength: 0,
      cloneBytes: [1, 2, 3, 4], cloneView: [2, 3], sameBuffer: true, viewOffset: 1,
    });
  });

  it('a resizable buffer stays resizable once moved; one not in the value is detached all the same', { skip: !flagged && 'needs node --harmony-rab-gsab-transfer' }, async () => {
    assert.deepEqual(await run('resizable'), { detached: true, resizable: true, max: 8, bytes: [7, 8] });
    assert.deepEqual(await run('notInValue'), { out: 1, detached: true });
  });

  it('a value that cannot be cloned throws DataCloneError and detaches nothing', { skip: !flagged && 'needs node --harmony-rab-gsab-transfer' }, async () => {
    assert.deepEqual(await run('uncloneableLeavesAttached'), { error: 'DataCloneError:25', detached: false });
  });

  it('the transfer list is checked as the standard says', { skip: !flagged && 'needs node --harmony-rab-gsab-transfer' }, async () => {
    assert.deepEqual(await run('listErrors'), {
      twice: 'DataCloneError:25',
      detachedInList: 'DataCloneError:25',
      detachedInValue: 'DataCloneError:25',
      notTransferable: 'DataCloneError:25',
      view: 'DataCloneError:25',
      primitive: 'TypeError',
      notIterable: 'TypeError',
      stillAttached: false,
    });
  });

  it('a BYOB reader detaches the buffer it is given and hands back the moved one (streams, Response bodies, Blob.stream())', { skip: !flagged && 'needs node --harmony-rab-gsab-transfer' }, async () => {
    assert.deepEqual(await run('byob'), { givenDetached: true, value: [42], valueLength: 4 });
    assert.deepEqual(await run('body'), { text: 'abc', detached: true, blob: 'xy', blobDetached: true, first: 'hello', again: 'hello', size: 5, blobText: 'hello' });
  });

  it('transfer(newLength) cannot allocate past the memory limit (a RangeError, and the instance serves on, or MEMORY_LIMIT)', { skip: !flagged && 'needs node --harmony-rab-gsab-transfer' }, async () => {
    let outcome: unknown;
    try {
      outcome = await run('grow');
    } catch (e) {
      outcome = (e as { code?: string }).code;
    }
    assert.ok(outcome === 'RangeError' || outcome === 'NIMBUS_ERR_MEMORY_LIMIT', String(outcome));
    if (outcome === 'RangeError') assert.deepEqual(await run('notInValue'), { out: 1, detached: true });
  });

  it('without the flag, a transfer list is a DataCloneError naming it, nothing is detached, and BYOB reads hand buffers on', { skip: flagged && 'Node has --harmony-rab-gsab-transfer' }, async () => {
    const out = (await run('unflagged')) as { message: string; transferType: string; byteLength: number; byob: string; same: boolean };
    assert.equal(out.transferType, 'undefined');
    assert.equal(out.byob, 'abc');
    assert.equal(out.same, true);
    assert.match(out.message, /^DataCloneError: .*--harmony-rab-gsab-transfer/);
    assert.equal(out.byteLength, 4);
  });
});

describe('a buffered body whose stream was asked for, returned unread, in an isolate', () => {
  const runtime = createIsolateRuntime({ clock: systemClock, prewarmMemoryMb: [64], onError: () => undefined });
  let h: Awaited<ReturnType<typeof startWith>>;
  before(async () => {
    // body is only looked at: its stream moved the bytes, and the Response still sends them
    const code = `export default { fetch(req) {
      const which = new URL(req.url).searchParams.get('b');
      const r = new Response(which === 'blob' ? new Blob(['from a blob']) : which === 'text' ? 'from text' : new TextEncoder().encode('from bytes'));
      if (r.body === null) throw new Error('no body');
      return r;
    } };`;
    h = await startWith(runtime, (await bundleSource({ 'index.js': code }, 'index.js')).code);
  });
  after(async () => {
    await h.instance.dispose();
    await runtime.close();
  });

  it('still sends all its bytes (bytes, Blob, text)', async () => {
    for (const [b, text] of [['bytes', 'from bytes'], ['blob', 'from a blob'], ['text', 'from text']]) {
      const res = fetchResponse(await h.instance.invoke(httpCall(`b-${b}`, { url: `http://127.0.0.1:8080/fn/fn/?b=${b}` })));
      assert.equal(res.status, 200);
      assert.equal(Buffer.from(res.body as Uint8Array).toString(), text, b);
    }
  });
});
