/**
 * WebAssembly, with its memory counted toward the function's memory limit. V8 allocates
 * wasm memory outside the heap the isolate's limit covers, so the shim keeps the count:
 * every memory is made here, by `new WebAssembly.Memory` or for a module's own memories
 * (modules are rewritten to import them, see wasm-limits.ts). Wasm code grows memory
 * without asking JavaScript, so a memory's maximum is fixed when it is made such that the
 * maxima of all live memories together stay within the limit (plus one page, so that
 * passing the limit is seen): that alone bounds what wasm can hold. Memory in use is also
 * checked as it is made or grown from JavaScript, and before every result and host call;
 * when it passes the limit the shim asks the host to stop the instance (OUT_MEMORY →
 * NIMBUS_ERR_MEMORY_LIMIT).
 *
 * The wrappers share the real prototypes (so `instanceof` holds for every module, instance
 * and memory), and each prototype's `constructor` points at the wrapper: user code can
 * reach no unwrapped constructor.
 */
import { OUT_MEMORY } from '../protocol.ts';
import { memoryLimitBytes, send } from './bridge.ts';
import { toBytes } from './encoding.ts';
import { countWasmReserved, resizableReserved } from './resizable.ts';
import { currentInvocation } from './state.ts';
import { HIDDEN_MODULE, limitMemories, type OwnMemory, PAGE, Unsupported } from './wasm-limits.ts';

/* eslint-disable @typescript-eslint/no-explicit-any -- the shim's lib has no WebAssembly types */
type Ctor = new (...args: any[]) => any;
type Wasm = Record<string, any>;

const g = globalThis as unknown as Record<string, unknown>;
const W = g.WebAssembly as Wasm | undefined;

const call = Function.prototype.call;
const uncurry = <F extends (...a: any[]) => any>(f: F) => call.bind(f) as (self: unknown, ...a: Parameters<F>) => ReturnType<F>;

/** Pages all live memories may reach together: the limit plus one, so passing the limit is seen, never far. */
const TOTAL_PAGES = Math.ceil(memoryLimitBytes / PAGE) + 1;
/** The most pages a 32-bit wasm memory may have. */
const MAX_PAGES = 65536;

/** Live memories, with the maximum each was made with. */
const memories: Array<{ ref: WeakRef<object>; max: number }> = [];
let over = false;
let bufferOf: (m: unknown) => ArrayBuffer;

function live(): void {
  let n = 0;
  for (let i = 0; i < memories.length; i++) if (memories[i].ref.deref() !== undefined) memories[n++] = memories[i];
  memories.length = n;
}

/** Bytes all live wasm memories take now. */
export function wasmBytes(): number {
  live();
  let total = 0;
  for (const m of memories) {
    const memory = m.ref.deref();
    if (memory !== undefined) total += bufferOf(memory).byteLength;
  }
  return total;
}

function promisedPages(): number {
  live();
  let promised = 0;
  for (const m of memories) promised += m.max;
  return promised;
}
countWasmReserved(() => promisedPages() * PAGE);

/** Pages not yet promised to a live memory (or resizable buffer, resizable.ts) as its maximum. */
function unreserved(): number {
  return Math.max(0, TOTAL_PAGES - promisedPages() - Math.ceil(resizableReserved() / PAGE));
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

function unreservable(pages: number, left: number): never {
  throw new RangeError(
    `WebAssembly memory: ${pages} pages are needed but the maxima of the live memories leave ${left} of the function's ${TOTAL_PAGES - 1} ` +
      '(a memory made without a maximum may grow to all that is left; reuse instances, or give memories a maximum)',
  );
}

function install(W: Wasm): void {
  const RealModule = W.Module as Ctor & Wasm;
  const RealInstance = W.Instance as Ctor;
  const RealMemory = W.Memory as Ctor;
  const realValidate = W.validate as (b: Uint8Array) => boolean;
  const CompileError = W.CompileError as Ctor;
  const moduleImports = RealModule.imports as (m: object) => Array<{ module: string; name: string; kind: string }>;
  const realGrow = uncurry(RealMemory.prototype.grow as (delta: number) => number);
  bufferOf = uncurry(Object.getOwnPropertyDescriptor(RealMemory.prototype, 'buffer')!.get as () => ArrayBuffer);
  const wmGet = uncurry(WeakMap.prototype.get);
  const wmSet = uncurry(WeakMap.prototype.set);
  const wmHas = uncurry(WeakMap.prototype.has);

  /** Module → its own memories (made by the shim at instantiation); only rewritten modules are here. */
  const ownMemories = new WeakMap<object, readonly OwnMemory[]>();

  function limited(source: unknown): ReturnType<typeof limitMemories> {
    const bytes = toBytes(source).slice();
    try {
      return limitMemories(bytes);
    } catch (error) {
      if (error instanceof Unsupported) throw new CompileError(error.message);
      throw error;
    }
  }

  function track(memory: object, max: number): void {
    memories.push({ ref: new WeakRef(memory), max });
  }

  /** Makes a module's own memories, their maxima within what the live memories leave. */
  function makeMemories(own: readonly OwnMemory[]): Array<[object, number]> {
    let minPages = 0;
    for (const m of own) minPages += m.min;
    if (wasmOverLimit(minPages * PAGE)) refuse();
    const left = unreserved();
    let slack = left - minPages;
    if (slack < 0) unreservable(minPages, left);
    const made: Array<[object, number]> = [];
    for (const m of own) {
      // a maximum below the minimum was refused by the compiler already
      const max = Math.min(m.max ?? MAX_PAGES, m.min + slack, MAX_PAGES);
      slack -= max - m.min;
      made.push([new RealMemory({ initial: m.min, maximum: max, shared: m.shared }), max]);
    }
    return made;
  }

  function Module(this: unknown, source: unknown): object {
    if (new.target === undefined) throw new TypeError("WebAssembly.Module must be invoked with 'new'");
    const l = limited(source);
    const m = Reflect.construct(RealModule, [l.bytes], new.target) as object;
    wmSet(ownMemories, m, l.memories);
    return m;
  }
  Module.prototype = RealModule.prototype;
  Module.exports = RealModule.exports;
  Module.imports = (m: object) => moduleImports(m).filter((e) => e.module !== HIDDEN_MODULE);
  Module.customSections = RealModule.customSections;

  function Instance(this: unknown, module: unknown, imports?: unknown): object {
    if (new.target === undefined) throw new TypeError("WebAssembly.Instance must be invoked with 'new'");
    if (typeof module !== 'object' || module === null || !wmHas(ownMemories, module)) {
      throw new TypeError('WebAssembly.Instance(): Argument 0 must be a WebAssembly.Module');
    }
    const own = wmGet(ownMemories, module) as readonly OwnMemory[];
    if (own.length === 0) {
      if (wasmOverLimit()) refuse();
      return Reflect.construct(RealInstance, [module, imports], new.target) as object;
    }
    if (imports !== undefined && (typeof imports !== 'object' || imports === null)) {
      throw new TypeError('WebAssembly.Instance(): Argument 1 must be an object');
    }
    // the caller's namespaces, each read once, and the shim's memories
    const merged = Object.create(null) as Record<string, unknown>;
    for (const { module: name } of moduleImports(module)) {
      if (name !== HIDDEN_MODULE && !(name in merged)) merged[name] = imports === undefined ? undefined : (imports as Record<string, unknown>)[name];
    }
    const made = makeMemories(own);
    const hidden = Object.create(null) as Record<string, unknown>;
    const first = moduleImports(module).filter((e) => e.kind === 'memory').length - own.length;
    made.forEach(([memory], i) => (hidden[String(first + i)] = memory));
    merged[HIDDEN_MODULE] = hidden;
    const instance = Reflect.construct(RealInstance, [module, merged], new.target) as object;
    for (const [memory, max] of made) track(memory, max);
    if (wasmOverLimit()) refuse();
    return instance;
  }
  Instance.prototype = RealInstance.prototype;

  function Memory(this: unknown, descriptor: unknown): object {
    if (new.target === undefined) throw new TypeError("WebAssembly.Memory must be invoked with 'new'");
    if (typeof descriptor !== 'object' || descriptor === null) throw new TypeError('WebAssembly.Memory(): Argument 0 must be a memory descriptor');
    // each member read (and converted) once: a getter cannot answer the check one value and V8 another
    const d = descriptor as { initial?: unknown; minimum?: unknown; maximum?: unknown; shared?: unknown };
    const initialRaw = d.initial;
    const minimumRaw = initialRaw === undefined ? d.minimum : undefined;
    const maximumRaw = d.maximum;
    const shared = Boolean(d.shared);
    const initialOf = initialRaw ?? minimumRaw;
    if (initialOf === undefined) throw new TypeError("WebAssembly.Memory(): Property 'initial' is required");
    const initial = Number(initialOf);
    const declared = maximumRaw === undefined ? undefined : Number(maximumRaw);
    if (!Number.isFinite(initial) || initial < 0 || (declared !== undefined && !(declared >= initial))) {
      // invalid: V8 gives its own error
      return Reflect.construct(RealMemory, [{ initial, maximum: declared, shared }], new.target) as object;
    }
    if (wasmOverLimit(initial * PAGE)) refuse();
    const left = unreserved();
    if (initial > left) unreservable(initial, left);
    const maximum = Math.min(declared ?? MAX_PAGES, left, MAX_PAGES);
    const m = Reflect.construct(RealMemory, [{ initial, maximum, shared }], new.target) as object;
    track(m, maximum);
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
    if (typeof source === 'object' && source !== null && wmHas(ownMemories, source)) {
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
