/**
 * The host's compression store, driven as a hostile shim would: unknown formats and
 * numbers, a second call while one runs, bad data, a decompression bomb, more streams
 * than allowed; and the time its work took is reported for charging.
 */
import assert from 'node:assert/strict';
import { deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { ZlibStore, type ZlibReply } from './zlib-host.ts';

/** The output of a reply that carries no error. */
const outOf = (r: ZlibReply): ArrayBuffer => {
  assert.ok(!Array.isArray(r), 'no error expected');
  return r;
};

const buf = (b: Uint8Array) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
const noCharge = () => undefined;

describe('host compression store', () => {
  it('compresses and decompresses across calls, reporting the work time', async () => {
    const store = new ZlibStore(4, 1 << 20);
    let charged = 0;
    const charge = (ms: number) => (charged += ms);
    const c = store.open('gzip', false);
    const parts = [outOf(await store.write(c, buf(new TextEncoder().encode('hello ')), charge)), outOf(await store.end(c, charge))];
    const d = store.open('gzip', true);
    const out = [await store.write(d, parts[0], charge), await store.write(d, parts[1], charge), await store.end(d, charge)].map(outOf);
    assert.equal(out.map((b) => new TextDecoder().decode(b)).join(''), 'hello ');
    assert.ok(charged > 0);
    assert.equal(store.size, 0, 'ended streams are freed');
  });

  it('brotli both ways; bytes after the end of the compressed data are an error, not a hang', async () => {
    const store = new ZlibStore(8, 1 << 20);
    const text = new TextEncoder().encode('expected output');
    const c = store.open('brotli', false);
    const bytesOf = (r: ZlibReply) => new Uint8Array(outOf(r));
    const packed = new Uint8Array([...bytesOf(await store.write(c, buf(text), noCharge)), ...bytesOf(await store.end(c, noCharge))]);
    const d = store.open('brotli', true);
    const out = [bytesOf(await store.write(d, buf(packed), noCharge)), bytesOf(await store.end(d, noCharge))];
    assert.equal(out.map((b) => new TextDecoder().decode(b)).join(''), 'expected output');
    for (const [format, bytes] of [
      ['gzip', gzipSync(text)],
      ['deflate', deflateSync(text)],
      ['deflate-raw', deflateRawSync(text)],
      ['brotli', packed],
    ] as const) {
      // the junk in the same call as the data: the output up to its end, the error, then nothing more
      const one = store.open(format, true);
      const reply = await store.write(one, buf(new Uint8Array([...bytes, 0])), noCharge);
      assert.ok(Array.isArray(reply), format);
      assert.equal(new TextDecoder().decode(reply[0]), 'expected output', format);
      assert.match(reply[1], /bytes after its end/, format);
      await assert.rejects(store.end(one, noCharge), /bytes after its end/, format);
      store.free(one);
      // the junk in a call of its own, after the data ended
      const two = store.open(format, true);
      const whole = await store.write(two, buf(bytes), noCharge);
      assert.ok(!Array.isArray(whole), format);
      const late = await store.write(two, buf(new Uint8Array([0])), noCharge);
      assert.ok(Array.isArray(late) && late[0].byteLength === 0 && /bytes after its end/.test(late[1]), format);
      store.free(two);
      // no junk: ending after the data ended answers at once
      const three = store.open(format, true);
      await store.write(three, buf(bytes), noCharge);
      assert.equal(outOf(await store.end(three, noCharge)).byteLength, 0, format);
    }
    assert.equal(store.size, 0);
  });

  it('refuses unknown formats, forged numbers, non-bytes and a second call at once', async () => {
    const store = new ZlibStore(4, 1 << 20);
    assert.throws(() => store.open('zstd', false), { name: 'TypeError' });
    assert.throws(() => store.open({ toString: () => 'gzip' }, false), { name: 'TypeError' });
    assert.throws(() => store.write(99, new ArrayBuffer(1), noCharge), { name: 'TypeError' });
    assert.throws(() => store.write('1', new ArrayBuffer(1), noCharge), { name: 'TypeError' });
    const id = store.open('deflate', false);
    await assert.rejects(store.write(id, 'text', noCharge), { name: 'TypeError' });
    const first = store.write(id, new ArrayBuffer(10), noCharge);
    assert.throws(() => store.write(id, new ArrayBuffer(10), noCharge), /one call at a time/);
    await first;
  });

  it('bad compressed data is a TypeError; a bomb stops at the output bound; the count of streams is bounded', async () => {
    const store = new ZlibStore(2, 1 << 20);
    const bad = store.open('gzip', true);
    await assert.rejects(store.write(bad, buf(new TextEncoder().encode('not gzip')), noCharge), { name: 'TypeError' });
    store.free(bad);
    const bomb = store.open('gzip', true);
    // 32 MB of zeros in ~32 KB: its output passes the 1 MB bound
    await assert.rejects(store.write(bomb, buf(gzipSync(new Uint8Array(32 << 20))), noCharge), { name: 'RangeError' });
    store.open('gzip', false);
    assert.throws(() => store.open('gzip', false), { name: 'QuotaExceededError' });
    store.clear();
    assert.equal(store.size, 0);
  });
});
