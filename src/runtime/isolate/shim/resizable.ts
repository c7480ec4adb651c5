/**
 * Resizable ArrayBuffers and growable SharedArrayBuffers, counted toward the function's
 * memory limit. V8 makes them outside the array buffer allocator the isolate's limit covers
 * (it reserves `maxByteLength` and commits pages as the buffer grows), so without this a
 * function could hold any amount of the host's memory: `new ArrayBuffer(0, { maxByteLength })`
 * then `resize()`, again and again. As for wasm memories (wasm.ts), what bounds them is the
 * maximum, fixed when the buffer is made: the maxima of all live such buffers and wasm
 * memories together stay within the function's `memoryMb` plus one 64 KB page; a buffer whose
 * maximum does not fit is a `RangeError`. A buffer counts until it is collected or detached
 * (`transfer()` moves its count to the buffer it gives).
 *
 * The wrappers share the real prototypes (so `instanceof` holds), and each prototype's
 * `constructor` points at the wrapper: user code can reach no unwrapped constructor. This
 * module runs before any other of the shim's (index.ts imports it first), so that those that
 * keep `ArrayBuffer.prototype.transfer` (clone.ts) keep the wrapper.
 */
import { memoryLimitBytes } from './bridge.ts';
import { PAGE } from './wasm-limits.ts';

const g = globalThis as unknown as Record<string, unknown>;
const call = Function.prototype.call;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any getter or method
const uncurry = <F extends (...a: any[]) => any>(f: F) => call.bind(f) as (self: unknown, ...a: Parameters<F>) => ReturnType<F>;

/** Bytes the maxima of live resizable buffers and wasm memories may sum to: the limit plus one page. */
export const OFF_HEAP_BUDGET = (Math.ceil(memoryLimitBytes / PAGE) + 1) * PAGE;

/** Live resizable (or growable) buffers, with the getter of their maximum (0 once detached). */
const buffers: Array<{ ref: WeakRef<object>; max: (b: object) => number }> = [];
/** What wasm memories have promised (wasm.ts registers it). */
let wasmReserved: () => number = () => 0;

export function countWasmReserved(reserved: () => number): void {
  wasmReserved = reserved;
}

/** Bytes the maxima of live resizable buffers take. */
export function resizableReserved(): number {
  let n = 0;
  let total = 0;
  for (let i = 0; i < buffers.length; i++) {
    const b = buffers[i].ref.deref();
    const max = b === undefined ? 0 : buffers[i].max(b);
    if (max === 0) continue;
    total += max;
    buffers[n++] = buffers[i];
  }
  buffers.length = n;
  return total;
}

function track(buffer: object, max: (b: object) => number): void {
  buffers.push({ ref: new WeakRef(buffer), max });
}

function install(Real: new (...a: unknown[]) => object, name: string): void {
  const proto = Real.prototype as object;
  const maxOf = uncurry(Object.getOwnPropertyDescriptor(proto, 'maxByteLength')!.get as () => number);
  function Wrapper(this: unknown, length?: unknown, options?: unknown): object {
    if (new.target === undefined) throw new TypeError(`Constructor ${name} requires 'new'`);
    const raw = typeof options === 'object' && options !== null ? (options as { maxByteLength?: unknown }).maxByteLength : undefined;
    if (raw === undefined) return Reflect.construct(Real, [length], new.target);
    // each value read (and converted) once: a getter cannot answer the check one value and V8 another
    const size = Number(length);
    const max = Math.trunc(Number(raw)) || 0;
    if (Number.isFinite(max) && max > 0 && max >= size) {
      const left = OFF_HEAP_BUDGET - resizableReserved() - wasmReserved();
      if (max > left) {
        throw new RangeError(
          `${name}: a maxByteLength of ${max} bytes does not fit in what the live resizable buffers and WebAssembly memories leave ` +
            `(${Math.max(0, left)} bytes of the function's ${memoryLimitBytes / 1048576} MB): give it a smaller maximum`,
        );
      }
    }
    const buffer = Reflect.construct(Real, [size, { maxByteLength: max }], new.target);
    track(buffer, maxOf);
    return buffer;
  }
  for (const [key, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(Real))) {
    if (key !== 'prototype' && key !== 'length' && key !== 'name') Object.defineProperty(Wrapper, key, descriptor);
  }
  for (const key of Object.getOwnPropertySymbols(Real)) Object.defineProperty(Wrapper, key, Object.getOwnPropertyDescriptor(Real, key)!);
  Object.defineProperty(Wrapper, 'prototype', { value: proto, writable: false, enumerable: false, configurable: false });
  Object.defineProperty(Wrapper, 'length', { value: 1, configurable: true });
  Object.defineProperty(Wrapper, 'name', { value: name, configurable: true });
  Object.defineProperty(proto, 'constructor', { value: Wrapper, writable: true, configurable: true, enumerable: false });
  Object.defineProperty(g, name, { value: Wrapper, writable: true, configurable: true, enumerable: false });

  // transfer() gives a resizable buffer the same maximum, and detaches (uncounts) the source
  const transfer = Object.getOwnPropertyDescriptor(proto, 'transfer')?.value as ((n?: unknown) => object) | undefined;
  if (typeof transfer !== 'function') return;
  const realTransfer = uncurry(transfer);
  const resizable = uncurry(Object.getOwnPropertyDescriptor(proto, 'resizable')!.get as () => boolean);
  Object.defineProperty(proto, 'transfer', {
    configurable: true,
    enumerable: false,
    writable: true,
    value: {
      transfer(this: object) {
        // eslint-disable-next-line prefer-rest-params -- the real one's length (0), and no iterator a function could patch
        const out = realTransfer(this, arguments.length === 0 ? undefined : arguments[0]);
        if (resizable(out)) track(out, maxOf);
        return out;
      },
    }.transfer,
  });
}

install(ArrayBuffer as unknown as new (...a: unknown[]) => object, 'ArrayBuffer');
if (typeof SharedArrayBuffer === 'function') install(SharedArrayBuffer as unknown as new (...a: unknown[]) => object, 'SharedArrayBuffer');
