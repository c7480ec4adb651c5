/**
 * WebAssembly in the isolate: the API works, its memory counts toward the function's
 * memory limit (a bomb ends in MEMORY_LIMIT, the runtime serves on), and no unwrapped
 * constructor is reachable.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../core/clock.ts';
import { bundlePath } from '../../deploy/bundle.ts';
import { bundle, eventCall, handlerValue, rejectsWith, startWith } from '../contract.ts';
import { ADD, BIG_INITIAL, BOMB, EXPORTED_MEMORY, literal, UNBOUNDED_MEMORY } from './fixtures/wasm/modules.ts';
import { createIsolateRuntime } from './index.ts';
import { HIDDEN_MODULE, limitMemories } from './shim/wasm-limits.ts';

/** Node's WebAssembly (the project's lib has no WebAssembly types). */
const NodeWasm = (globalThis as unknown as { WebAssembly: Record<string, any> }).WebAssembly; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('wasm-limits', () => {
  it('turns every defined memory into an import at the same index, with its limits, and leaves other modules alone', () => {
    assert.equal(limitMemories(ADD).bytes, ADD);
    const l = limitMemories(EXPORTED_MEMORY);
    assert.deepEqual(l.memories, [{ min: 1, max: 4, shared: false }]);
    const m = new NodeWasm.Module(l.bytes);
    assert.deepEqual(NodeWasm.Module.imports(m), [{ module: HIDDEN_MODULE, name: '0', kind: 'memory' }]);
    assert.deepEqual(NodeWasm.Module.exports(m).map((e: { name: string }) => e.name), ['mem', 'grow']);
    const memory = new NodeWasm.Memory({ initial: 1, maximum: 3 });
    const i = new NodeWasm.Instance(m, { [HIDDEN_MODULE]: { 0: memory } }).exports as { grow(n: number): number; mem: unknown };
    assert.equal(i.mem, memory);
    assert.equal(i.grow(2), 1); // the module's own maximum was 4; the memory given has 3
    assert.equal(i.grow(1), -1);
    assert.deepEqual(limitMemories(BOMB).memories, [{ min: 1, max: undefined, shared: false }]);
    assert.equal(NodeWasm.validate(limitMemories(BOMB).bytes), true);
    const garbage = Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5, 0xff]);
    assert.equal(limitMemories(garbage).bytes, garbage);
  });
});

describe('WebAssembly in the isolate', () => {
  const runtime = createIsolateRuntime({ clock: systemClock, prewarmMemoryMb: [16], onError: () => undefined });
  after(() => runtime.close());

  it('compile, instantiate, Module, Instance, Memory and the streaming variants work', async () => {
    const h = await startWith(
      runtime,
      await bundle(`
        export async function handler() {
          const add = ${literal(ADD)};
          const m = await WebAssembly.compile(add);
          const sync = new WebAssembly.Instance(new WebAssembly.Module(add), {});
          const both = await WebAssembly.instantiate(add) as any;
          const viaModule = await WebAssembly.instantiate(m) as any;
          const res = () => new Response(add, { headers: { 'content-type': 'application/wasm' } });
          const streamed = await WebAssembly.instantiateStreaming(res()) as any;
          const compiled = await WebAssembly.compileStreaming(Promise.resolve(res()));
          const wrongType = await WebAssembly.compileStreaming(new Response(add)).then(() => 'no error', (e) => e.name);
          const mem = new WebAssembly.Memory({ initial: 1, maximum: 3 });
          const grown = [mem.grow(1), mem.buffer.byteLength];
          const em = new WebAssembly.Instance(new WebAssembly.Module(${literal(EXPORTED_MEMORY)})) as any;
          return [
            (sync.exports as any).add(2, 3), both.instance.exports.add(1, 1), viaModule.exports.add(4, 4),
            streamed.instance.exports.add(5, 5), compiled instanceof WebAssembly.Module, wrongType,
            m instanceof WebAssembly.Module, sync instanceof WebAssembly.Instance, grown,
            Object.keys(em.exports), WebAssembly.Module.exports(new WebAssembly.Module(${literal(EXPORTED_MEMORY)})).map((e: any) => e.name),
            em.exports.mem instanceof WebAssembly.Memory, Object.isFrozen(em.exports), Object.getPrototypeOf(em.exports),
            WebAssembly.validate(add), WebAssembly.validate(new Uint8Array([1, 2, 3])),
            await WebAssembly.compile(new Uint8Array([0, 1])).then(() => 'no error', (e) => e instanceof WebAssembly.CompileError),
          ];
        }`),
    );
    assert.deepEqual(handlerValue(await h.instance.invoke(eventCall('api', null))), [
      5, 2, 8, 10, true, 'TypeError', true, true, [1, 131072], ['mem', 'grow'], ['mem', 'grow'], true, true, null, true, false, true,
    ]);
    h.instance.dispose();
  });

  it("a bundled directory may import a .wasm file: the import is a WebAssembly.Module", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nimbus-wasm-'));
    try {
      writeFileSync(join(dir, 'add.wasm'), ADD);
      writeFileSync(
        join(dir, 'index.ts'),
        `// @ts-ignore\nimport mod from './add.wasm';\n` +
          `export async function handler() { const i = await WebAssembly.instantiate(mod) as any; return [mod instanceof WebAssembly.Module, i.exports.add(40, 2)]; }\n`,
      );
      const h = await startWith(runtime, (await bundlePath(dir)).code);
      assert.deepEqual(handlerValue(await h.instance.invoke(eventCall('import', null))), [true, 42]);
      h.instance.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const [what, body] of [
    ['wasm code growing its own memory', `return (new WebAssembly.Instance(new WebAssembly.Module(${literal(BOMB)})).exports as any).bomb();`],
    ['JavaScript growing a Memory', `const m = new WebAssembly.Memory({ initial: 1 }); for (;;) m.grow(16);`],
    ['many instances', `const mod = new WebAssembly.Module(${literal(BOMB)}); const all = []; for (;;) { const i = new WebAssembly.Instance(mod) as any; i.exports.bomb(); all.push(i); }`],
    ['a module whose initial memory is past the limit', `return new WebAssembly.Instance(new WebAssembly.Module(${literal(BIG_INITIAL)})) && 'made';`],
  ] as const) {
    it(`a wasm memory bomb (${what}) is MEMORY_LIMIT; the runtime serves on`, async () => {
      const h = await startWith(runtime, await bundle(`export async function handler() { ${body} }`), { memoryMb: 16 });
      await rejectsWith(h.instance.invoke(eventCall('bomb', null)), 'NIMBUS_ERR_MEMORY_LIMIT');
      assert.equal(h.instance.deathReason(), 'memory_limit');
      const other = await startWith(runtime, await bundle(`export async function handler() { return (await WebAssembly.instantiate(${literal(ADD)}) as any).instance.exports.add(20, 22); }`));
      assert.equal(handlerValue(await other.instance.invoke(eventCall('after', null))), 42);
      other.instance.dispose();
    });
  }

  it("wasm memory past the limit at the module's top level fails the start as out of memory", async () => {
    const code = await bundle(`const m = new WebAssembly.Memory({ initial: 1 }); for (;;) m.grow(16);\nexport async function handler() { return 1; }`);
    await assert.rejects(startWith(runtime, code, { memoryMb: 16 }), (e: { code?: string; message?: string }) => {
      assert.equal(e.code, 'NIMBUS_ERR_FUNCTION_INIT');
      assert.match(String(e.message), /ran out of memory/);
      return true;
    });
  });

  it('escape: no unwrapped constructor, compile function or hidden memory is reachable', async () => {
    const h = await startWith(
      runtime,
      await bundle(`
        export async function handler() {
          const W = WebAssembly as any;
          const inst = new W.Instance(new W.Module(${literal(BOMB)}));
          const getter = Object.getOwnPropertyDescriptor(W.Instance.prototype, 'exports')!.get!;
          const tryNew = (C: any, ...a: any[]) => { try { new C(...a); return 'made'; } catch (e) { return (e as Error).name; } };
          return [
            W.Module.prototype.constructor === W.Module,
            W.Instance.prototype.constructor === W.Instance,
            W.Memory.prototype.constructor === W.Memory,
            Object.getPrototypeOf(W.Module) === Function.prototype,
            Object.getPrototypeOf(W.Instance) === Function.prototype,
            Object.keys(getter.call(inst)),
            Object.getOwnPropertyNames(inst.exports).some((n: string) => n.startsWith('__nimbus')),
            tryNew(W.Instance, {}),
            tryNew(W.Instance, Object.create(W.Module.prototype)),
          ];
        }`),
      { memoryMb: 16 },
    );
    assert.deepEqual(handlerValue(await h.instance.invoke(eventCall('escape', null))), [true, true, true, true, true, ['bomb'], false, 'TypeError', 'TypeError']);
    h.instance.dispose();
  });

  it('escape: wasm code growing the memories of many instances cannot hold more than the limit between checks', async () => {
    const h = await startWith(
      runtime,
      await bundle(`
        export async function handler() {
          const refused: string[] = [];
          const all: any[] = [];
          const mod = new WebAssembly.Module(${literal(UNBOUNDED_MEMORY)});
          for (let i = 0; i < 20; i++) {
            try { all.push(new WebAssembly.Instance(mod)); } catch (e) { refused.push((e as Error).name); }
          }
          let total = 0;
          for (const i of all) { i.exports.grow(100); total += i.exports.mem.buffer.byteLength; }
          // a memory made from JavaScript is held to what is left, too
          const js = (() => { try { return new WebAssembly.Memory({ initial: 1 }) && 'made'; } catch (e) { return (e as Error).name; } })();
          return [all.length, refused.length, refused[0], total <= 16 * 1048576, js, WebAssembly.Module.imports(mod)];
        }`),
      { memoryMb: 16 },
    );
    assert.deepEqual(handlerValue(await h.instance.invoke(eventCall('many', null))), [1, 19, 'RangeError', true, 'RangeError', []]);
    h.instance.dispose();
  });

  it('instances whose memories declare a maximum share the limit between them', async () => {
    const h = await startWith(
      runtime,
      await bundle(`
        export async function handler() {
          const mod = new WebAssembly.Module(${literal(EXPORTED_MEMORY)});
          let total = 0;
          for (let i = 0; i < 20; i++) {
            const inst = new WebAssembly.Instance(mod) as any;
            inst.exports.grow(3);
            total += inst.exports.mem.buffer.byteLength;
          }
          return total / 65536;
        }`),
      { memoryMb: 16 },
    );
    assert.equal(handlerValue(await h.instance.invoke(eventCall('shared', null))), 80);
    h.instance.dispose();
  });

  it("escape: new WebAssembly.Memory reads each member of its descriptor once", async () => {
    const h = await startWith(
      runtime,
      await bundle(`
        export async function handler() {
          const reads = { initial: 0, maximum: 0 };
          const m = new WebAssembly.Memory({
            get initial() { return reads.initial++ === 0 ? 0 : 2000; },
            get maximum() { return reads.maximum++ === 0 ? 0 : 60000; },
          });
          return [m.buffer.byteLength, reads.initial, reads.maximum, (() => { try { return m.grow(1); } catch (e) { return (e as Error).name; } })()];
        }`),
      { memoryMb: 16 },
    );
    assert.deepEqual(handlerValue(await h.instance.invoke(eventCall('getter', null))), [0, 1, 1, 'RangeError']);
    h.instance.dispose();
  });
});
