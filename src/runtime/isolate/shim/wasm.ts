/**
 * WebAssembly, with its memory counted toward the function's memory limit. V8 allocates
 * wasm memory outside the heap the isolate's limit covers, so the shim keeps the count:
 * every memory is made through these wrappers (modules are rewritten to cap each memory
 * and expose it to us, see wasm-limits.ts), and when their sum passes the limit the shim
 * asks the host to stop the instance (OUT_MEMORY → NIMBUS_ERR_MEMORY_LIMIT).
 *
 * The wrappers share the real prototypes (so `instanceof` holds for every module, instance
 * and memory), and each prototype's `constructor` points at the wrapper: user code can
 * reach no unwrapped constructor.
 */
import { OUT_MEMORY } from '../protocol.ts';
import { memoryLimitBytes, send } from './bridge.ts';
import { toBytes } from './encoding.ts';
import { currentInvocation } from './state.ts';
import { HIDDEN_EXPORT, limitMemories, PAGE, Unsupported } from './wasm-limits.ts';

/* eslint-disable @typescript-eslint/no-explicit-any -- the shim's lib has no WebAssembly types */
type Ctor = new (...args: any[]) => any;
type Wasm = Record<string, any>;

const g = globalThis as unknown as Record<string, unknown>;
const W = g.WebAssembly as Wasm | undefined;

const call = Function.prototype.call;
const uncurry = <F extends (...a: any[]) => any>(f: F) => call.bind(f) as (self: unknown, ...a: Parameters<F>) => ReturnType<F>;

/** Pages one memory may have: the limit plus one, so passing the limit is seen, never far. */
const CAP_PAGES = Math.ceil(memoryLimitBytes / PAGE) + 1;

const memories: Array<WeakRef<object>> = [];
let over = false;
let bufferOf: (m: unknown) => ArrayBuffer;

/** Bytes all live wasm memories take now. */
export function wasmBytes(): number {
  let total = 0;
  let live = 0;
  for (let i = 0; i < memories.length; i++) {
    const m = memories[i].deref();
    if (m === undefined) continue;
    memories[live++] = memories[i];
    total += bufferOf(m).byteLength;
  }
  memories.length = live;
  return total;
}

/**
 * True (and the host told, once) if wasm memory is past the limit. Checked when memory is
 * made or grown from JavaScript, and before every result and host call.
 */
export function wasmOverLimit(extra = 0, seq = currentInvocation().seq): boolean {
  if (over) return true;
  if (memories.length === 0 && extra === 0) return false;
  if (wasmBytes() + extra <= memoryLimitBytes) return false;
  over = true;
  send(OUT_MEMORY, seq);
  return true;
}

function refuse(): never {
  throw new RangeError(`WebAssembly memory would pass the function's memory limit (${memoryLimitBytes / 1048576} MB)`);
}

function install(W: Wasm): void {
  const RealModule = W.Module as Ctor & Wasm;
  const RealInstance = W.Instance as Ctor;
  const RealMemory = W.Memory as Ctor;
  const realValidate = W.validate as (b: Uint8Array) => boolean;
  const CompileError = W.CompileError as Ctor;
  const moduleExports = RealModule.exports as (m: object) => Array<{ name: string; kind: string }>;
  const rawExports = uncurry(Object.getOwnPropertyDescriptor(RealInstance.prototype, 'exports')!.get as () => Record<string, unknown>);
  const realGrow = uncurry(RealMemory.prototype.grow as (delta: number) => number);
  bufferOf = uncurry(Object.getOwnPropertyDescriptor(RealMemory.prototype, 'buffer')!.get as () => ArrayBuffer);
  const wmGet = uncurry(WeakMap.prototype.get);
  const wmSet = uncurry(WeakMap.prototype.set);
  const wmHas = uncurry(WeakMap.prototype.has);

  /** Module → bytes its own memories take when instantiated; only rewritten modules are here. */
  const minBytes = new WeakMap<object, number>();
  const visible = new WeakMap<object, Record<string, unknown>>();

  function limited(source: unknown): { bytes: Uint8Array; minBytes: number } {
    const bytes = toBytes(source).slice();
    try {
      return limitMemories(bytes, CAP_PAGES);
    } catch (error) {
      if (error instanceof Unsupported) throw new CompileError(error.message);
      throw error;
    }
  }

  function track(memory: object): void {
    memories.push(new WeakRef(memory));
  }

  function Module(this: unknown, source: unknown): object {
    if (new.target === undefined) throw new TypeError("WebAssembly.Module must be invoked with 'new'");
    const l = limited(source);
    const m = Reflect.construct(RealModule, [l.bytes], new.target) as object;
    wmSet(minBytes, m, l.minBytes);
    return m;
  }
  Module.prototype = RealModule.prototype;
  Module.exports = (m: object) => moduleExports(m).filter((e) => !e.name.startsWith(HIDDEN_EXPORT));
  Module.imports = RealModule.imports;
  Module.customSections = RealModule.customSections;

  function Instance(this: unknown, module: unknown, imports?: unknown): object {
    if (new.target === undefined) throw new TypeError("WebAssembly.Instance must be invoked with 'new'");
    if (typeof module !== 'object' || module === null || !wmHas(minBytes, module)) {
      throw new TypeError('WebAssembly.Instance(): Argument 0 must be a WebAssembly.Module');
    }
    if (wasmOverLimit(wmGet(minBytes, module) as number)) refuse();
    const instance = Reflect.construct(RealInstance, [module, imports], new.target) as object;
    const raw = rawExports(instance);
    for (const name of Object.keys(raw)) if (name.startsWith(HIDDEN_EXPORT)) track(raw[name] as object);
    if (wasmOverLimit()) refuse();
    return instance;
  }
  Instance.prototype = RealInstance.prototype;
  Object.defineProperty(RealInstance.prototype, 'exports', {
    configurable: true,
    enumerable: true,
    get(this: object) {
      let out = wmGet(visible, this);
      if (out === undefined) {
        const raw = rawExports(this);
        out = Object.create(null) as Record<string, unknown>;
        for (const name of Object.keys(raw)) if (!name.startsWith(HIDDEN_EXPORT)) out[name] = raw[name];
        Object.freeze(out);
        wmSet(visible, this, out);
      }
      return out;
    },
  });

  function Memory(this: unknown, descriptor: unknown): object {
    if (new.target === undefined) throw new TypeError("WebAssembly.Memory must be invoked with 'new'");
    const d = (descriptor ?? {}) as { initial?: unknown; minimum?: unknown; maximum?: unknown; shared?: unknown };
    const initial = Number(d.initial ?? d.minimum);
    if (Number.isFinite(initial) && initial >= 0 && wasmOverLimit(initial * PAGE)) refuse();
    const maximum = d.maximum === undefined ? CAP_PAGES : Math.min(Number(d.maximum), Math.max(CAP_PAGES, initial));
    const m = Reflect.construct(RealMemory, [{ ...d, maximum }], new.target) as object;
    track(m);
    return m;
  }
  Memory.prototype = RealMemory.prototype;
  Object.defineProperty(RealMemory.prototype, 'grow', {
    configurable: true,
    enumerable: true,
    writable: true,
    value: function grow(this: object, delta: unknown) {
      const pages = Number(delta);
      if (Number.isFinite(pages) && pages > 0 && wasmOverLimit(pages * PAGE)) refuse();
      return realGrow(this, delta as number);
    },
  });

  // V8's asynchronous compile waits on tasks this embedding never runs once the isolate is
  // idle: compile synchronously (on the function's CPU time, as it should be) and answer a promise.
  async function compile(source: unknown): Promise<object> {
    return new (Module as unknown as Ctor)(source) as object;
  }

  async function instantiate(source: unknown, imports?: unknown): Promise<unknown> {
    if (typeof source === 'object' && source !== null && wmHas(minBytes, source)) {
      return new (Instance as unknown as Ctor)(source, imports);
    }
    const module = await compile(source);
    return { module, instance: new (Instance as unknown as Ctor)(module, imports) };
  }

  async function bytesOf(source: unknown): Promise<ArrayBuffer> {
    const response = (await source) as { arrayBuffer?: () => Promise<ArrayBuffer>; headers?: { get(n: string): string | null }; ok?: boolean };
    if (typeof response?.arrayBuffer !== 'function' || response.headers === undefined) {
      throw new TypeError('WebAssembly: the argument must be a Response or a promise of one');
    }
    const type = response.headers.get('content-type');
    if (type === null || type.split(';')[0].trim().toLowerCase() !== 'application/wasm') {
      throw new TypeError(`WebAssembly: the response's Content-Type must be application/wasm (it is ${type === null ? 'missing' : `"${type}"`})`);
    }
    if (response.ok === false) throw new TypeError('WebAssembly: the response status is not ok');
    return response.arrayBuffer();
  }

  const wrapped: Record<string, unknown> = {
    Module,
    Instance,
    Memory,
    compile,
    instantiate,
    validate: (source: unknown) => {
      try {
        return realValidate(limited(source).bytes);
      } catch (error) {
        if (error instanceof CompileError) return false;
        throw error;
      }
    },
    compileStreaming: async (source: unknown) => compile(await bytesOf(source)),
    instantiateStreaming: async (source: unknown, imports?: unknown) => instantiate(await bytesOf(source), imports),
  };
  for (const [name, value] of Object.entries(wrapped)) {
    if (typeof value === 'function') Object.defineProperty(value, 'name', { value: name });
    Object.defineProperty(W, name, { value, writable: true, configurable: true, enumerable: false });
  }
  for (const [Real, Wrapper] of [
    [RealModule, Module],
    [RealInstance, Instance],
    [RealMemory, Memory],
  ] as const) {
    Object.defineProperty(Real.prototype, 'constructor', { value: Wrapper, writable: true, configurable: true, enumerable: false });
  }
}

if (W !== undefined) install(W);
