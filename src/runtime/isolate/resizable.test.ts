/**
 * Escape: resizable ArrayBuffers and growable SharedArrayBuffers live outside the allocator
 * the isolate's memory limit covers; their maxima count toward the limit (shim/resizable.ts),
 * with wasm memories, so a function cannot hold host memory past `memoryMb` through them.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { systemClock } from '../../core/clock.ts';
import { bundle, eventCall, handlerValue, startWith } from '../contract.ts';
import { createIsolateRuntime } from './index.ts';

const MB = 1024 * 1024;

/** Makes buffers of a kind until refused (at most 16), keeping them all. */
const HOLDER = `
  const keep: any[] = [];
  function fill(make: () => any): number {
    let made = 0;
    for (let i = 0; i < 16; i++) {
      try { keep.push(make()); made++; } catch (e) { if (!(e instanceof RangeError)) throw e; }
    }
    return made;
  }
  export async function handler(what: string) {
    const AB = ArrayBuffer as any;
    const SAB = SharedArrayBuffer as any;
    if (what === 'ab') return fill(() => new AB(0, { maxByteLength: ${8 * MB} }));
    if (what === 'sab') return fill(() => new SAB(0, { maxByteLength: ${8 * MB} }));
    if (what === 'huge') return fill(() => new AB(0, { maxByteLength: 2 ** 40 }));
    if (what === 'wasm') { keep.push(new AB(0, { maxByteLength: ${12 * MB} })); return fill(() => new WebAssembly.Memory({ initial: 64, maximum: 64 })); }
    const a = new AB(${MB}, { maxByteLength: ${8 * MB} });
    const moved = a.transfer();
    keep.push(moved);
    return [a.byteLength, moved.resizable, moved.maxByteLength, fill(() => new AB(0, { maxByteLength: ${8 * MB} }))];
  }`;

describe('resizable buffers in the isolate', () => {
  const runtime = createIsolateRuntime({ clock: systemClock, prewarmMemoryMb: [16], onError: () => undefined });
  after(() => runtime.close());

  it('escape: their maxima count toward memoryMb, with wasm memories; transfer() keeps the count', async () => {
    const code = await bundle(HOLDER);
    const call = async (h: Awaited<ReturnType<typeof startWith>>, what: string) => handlerValue(await h.instance.invoke(eventCall('r', what)));
    const held = await startWith(runtime, code, { memoryMb: 16 });
    assert.equal(await call(held, 'ab'), 2); // 2 × 8 MB fill the 16 MB (and its spare page); without the count, 16
    assert.equal(await call(held, 'ab'), 0); // still held
    held.instance.dispose();
    for (const [what, expected] of [
      ['sab', 2],
      ['huge', 0],
      ['wasm', 1], // 12 MB of resizable maxima leave room for one 4 MB memory
      ['transfer', [0, true, 8 * MB, 1]],
    ] as const) {
      const h = await startWith(runtime, code, { memoryMb: 16 });
      assert.deepEqual(await call(h, what), expected, what);
      h.instance.dispose();
    }
  });

  it('escape: the wrapped constructors are the only ones reachable, and behave as the real ones', async () => {
    const h = await startWith(
      runtime,
      await bundle(`
        export async function handler() {
          const AB = ArrayBuffer as any;
          class Sub extends AB {}
          const s = new Sub(4, { maxByteLength: 8 });
          const r = new AB(2, { maxByteLength: 4 });
          r.resize(4);
          return [
            new Uint8Array(1).buffer.constructor === ArrayBuffer,
            new SharedArrayBuffer(1).constructor === SharedArrayBuffer,
            Object.getPrototypeOf(ArrayBuffer) === Function.prototype,
            s instanceof Sub && s instanceof ArrayBuffer, s.resizable, s.maxByteLength,
            new ArrayBuffer(3).resizable, new ArrayBuffer(3).byteLength, r.byteLength,
            ArrayBuffer.isView(new Uint8Array(1)), (ArrayBuffer as any)[Symbol.species] === ArrayBuffer,
            ArrayBuffer.name, ArrayBuffer.length, AB.prototype.transfer.length,
            (() => { try { (ArrayBuffer as any)(1); return 'called'; } catch (e) { return (e as Error).name; } })(),
            (() => { try { new AB(8, { maxByteLength: 4 }); return 'made'; } catch (e) { return (e as Error).name; } })(),
            structuredClone(r).maxByteLength,
          ];
        }`),
    );
    assert.deepEqual(handlerValue(await h.instance.invoke(eventCall('c', null))), [
      true, true, true, true, true, 8, false, 3, 4, true, true, 'ArrayBuffer', 1, 0, 'TypeError', 'RangeError', 4,
    ]);
    h.instance.dispose();
  });
});

