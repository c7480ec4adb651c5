/**
 * structuredClone, in the isolate (no host round trip). `transfer` moves ArrayBuffers (the
 * source is detached, the clone holds its memory) where V8 gives ArrayBuffer.prototype.transfer
 * (Node started with --harmony-rab-gsab-transfer, as `nimbus up` is); without it, a
 * transfer list is a DataCloneError saying why. Nothing else is transferable here (no
 * MessagePort, no transferable streams): a DataCloneError.
 */
import { Blob, File } from './blob.ts';
import { DOMException } from './events.ts';

const ERRORS: Record<string, ErrorConstructor> = {
  Error,
  EvalError,
  RangeError,
  ReferenceError,
  SyntaxError,
  TypeError,
  URIError,
};

type Transfer = (this: ArrayBuffer) => ArrayBuffer;
/** Read once at shim load, before any function code runs (a function cannot swap them). */
const abTransfer = (ArrayBuffer.prototype as { transfer?: Transfer }).transfer;
const transferBuffer: ((b: ArrayBuffer) => ArrayBuffer) | undefined = typeof abTransfer === 'function' ? (b) => abTransfer.call(b) : undefined;
const detachedGetter = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'detached')?.get;
const isDetached = (b: ArrayBuffer): boolean => detachedGetter !== undefined && detachedGetter.call(b) === true;
const isShared = (v: object): boolean => typeof SharedArrayBuffer === 'function' && v instanceof SharedArrayBuffer;

function dataCloneError(message: string): never {
  throw new DOMException(message, 'DataCloneError');
}

/**
 * The transfer list as the HTML standard's StructuredSerializeWithTransfer checks it before
 * serializing: each an ArrayBuffer (nothing else is transferable here), not shared, not
 * detached, not twice. WebIDL first: a sequence<object>.
 */
function transferList(transfer: unknown): ArrayBuffer[] {
  if (typeof transfer !== 'object' || transfer === null || typeof (transfer as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== 'function') {
    throw new TypeError("Failed to execute 'structuredClone': The provided value cannot be converted to a sequence.");
  }
  const list: ArrayBuffer[] = [];
  for (const t of transfer as Iterable<unknown>) {
    if ((typeof t !== 'object' && typeof t !== 'function') || t === null) {
      throw new TypeError("Failed to execute 'structuredClone': Value at an index of the transfer list is not an object.");
    }
    if (!(t instanceof ArrayBuffer) || isShared(t)) dataCloneError(`${Object.prototype.toString.call(t).slice(8, -1)} is not transferable in Nimbus (only ArrayBuffer is).`);
    if (list.includes(t)) dataCloneError('An ArrayBuffer is listed twice in the transfer list.');
    if (isDetached(t)) dataCloneError('An ArrayBuffer in the transfer list is detached.');
    list.push(t);
  }
  if (list.length > 0 && transferBuffer === undefined) {
    dataCloneError('structuredClone transfer needs ArrayBuffer.prototype.transfer, which this Node gives isolates only when started with --harmony-rab-gsab-transfer (nimbus up is)');
  }
  return list;
}

/**
 * Throws the DataCloneError the clone would throw, without copying or detaching anything:
 * run before transferring, so a value that cannot be cloned leaves the transfer list's
 * buffers attached, as the standard's serialize-then-transfer order does. It reads data
 * properties only (accessors are read once, by the clone itself).
 */
type Geometry = Map<ArrayBufferView, { byteOffset: number; length: number }>;

function check(value: unknown, seen: Set<object>, transferred: ArrayBuffer[], views: Geometry): void {
  if (typeof value === 'function') fail(String((value as { name?: string }).name || 'function'));
  if (typeof value === 'symbol') fail(value.toString());
  if (typeof value !== 'object' || value === null || seen.has(value)) return;
  seen.add(value);
  const v = value;
  if (v instanceof ArrayBuffer) {
    if (isDetached(v) && !transferred.includes(v)) fail('A detached ArrayBuffer');
    return;
  }
  if (ArrayBuffer.isView(v)) {
    // a view on a buffer about to be moved reads as empty once it is: its place is kept here
    if (transferred.includes(v.buffer as ArrayBuffer)) views.set(v, { byteOffset: v.byteOffset, length: viewLength(v) });
    return check(v.buffer, seen, transferred, views);
  }
  if (v instanceof Date || v instanceof RegExp || v instanceof Boolean || v instanceof Number || v instanceof String || v instanceof Blob) return;
  if (typeof BigInt === 'function' && v instanceof BigInt) return;
  if (v instanceof Map) {
    for (const [k, val] of v) {
      check(k, seen, transferred, views);
      check(val, seen, transferred, views);
    }
    return;
  }
  if (v instanceof Set) {
    for (const val of v) check(val, seen, transferred, views);
    return;
  }
  if (!Array.isArray(v) && !(v instanceof Error)) {
    const proto = Object.getPrototypeOf(v);
    const tag = Object.prototype.toString.call(v);
    if (v instanceof Promise || v instanceof WeakMap || v instanceof WeakSet || (proto !== Object.prototype && proto !== null && tag !== '[object Object]')) fail(tag.slice(8, -1));
  }
  for (const k of Object.keys(v)) {
    const d = Object.getOwnPropertyDescriptor(v, k);
    if (d !== undefined && 'value' in d) check(d.value, seen, transferred, views);
  }
}

const viewLength = (v: ArrayBufferView): number => (v instanceof DataView ? v.byteLength : (v as unknown as { length: number }).length);

function fail(what: string): never {
  throw new DOMException(`${what} could not be cloned.`, 'DataCloneError');
}

/** A copy of the bytes; a resizable buffer stays resizable, to the same maximum. */
function cloneBuffer(buffer: ArrayBuffer): ArrayBuffer {
  const b = buffer as ArrayBuffer & { resizable?: boolean; maxByteLength?: number };
  if (b.resizable !== true || typeof b.maxByteLength !== 'number') return buffer.slice(0);
  const out = new (ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer)(buffer.byteLength, { maxByteLength: b.maxByteLength });
  new Uint8Array(out).set(new Uint8Array(buffer));
  return out;
}

export function structuredClone<T>(value: T, options?: { transfer?: unknown[] }): T {
  if (arguments.length === 0) throw new TypeError("Failed to execute 'structuredClone': 1 argument required");
  if (options !== undefined && options !== null && typeof options !== 'object' && typeof options !== 'function') {
    throw new TypeError("Failed to execute 'structuredClone': The provided value is not of type 'StructuredSerializeOptions'.");
  }
  const transfer = options?.transfer;
  const transferred = transfer === undefined ? [] : transferList(transfer);
  const memory = new Map<object, unknown>();
  const views: Geometry = new Map();
  if (transferred.length > 0) {
    check(value, new Set(), transferred, views);
    // moved, not copied: each source is detached, and the clone's views are made on the moved memory
    for (const b of transferred) memory.set(b, (transferBuffer as (b: ArrayBuffer) => ArrayBuffer)(b));
  }

  const clone = (v: unknown): unknown => {
    if (typeof v === 'function') fail(String((v as { name?: string }).name || 'function'));
    if (typeof v === 'symbol') fail(v.toString());
    if (typeof v !== 'object' || v === null) return v;
    const seen = memory.get(v);
    if (seen !== undefined) return seen;
    let out: unknown;
    if (Array.isArray(v)) {
      const arr: unknown[] = new Array(v.length);
      memory.set(v, arr);
      for (const k of Object.keys(v)) (arr as unknown as Record<string, unknown>)[k] = clone((v as unknown as Record<string, unknown>)[k]);
      return arr;
    }
    if (v instanceof Date) out = new Date(v.getTime());
    else if (v instanceof RegExp) out = new RegExp(v.source, v.flags);
    else if (v instanceof Boolean) out = new Boolean(v.valueOf());
    else if (v instanceof Number) out = new Number(v.valueOf());
    else if (v instanceof String) out = new String(v.valueOf());
    else if (typeof BigInt === 'function' && v instanceof BigInt) out = Object(v.valueOf());
    else if (v instanceof ArrayBuffer) {
      if (isDetached(v)) fail('A detached ArrayBuffer');
      out = cloneBuffer(v);
    }
    else if (v instanceof File) out = new File([v], v.name, { type: v.type, lastModified: v.lastModified });
    else if (v instanceof Blob) out = new Blob([v], { type: v.type });
    else if (ArrayBuffer.isView(v)) {
      const buf = clone(v.buffer) as ArrayBuffer;
      const C = v.constructor as new (b: ArrayBuffer, o: number, l: number) => ArrayBufferView;
      const place = views.get(v) ?? { byteOffset: v.byteOffset, length: viewLength(v) };
      out = new C(buf, place.byteOffset, place.length);
    } else if (v instanceof Map) {
      const m = new Map();
      memory.set(v, m);
      for (const [k, val] of v) m.set(clone(k), clone(val));
      return m;
    } else if (v instanceof Set) {
      const s = new Set();
      memory.set(v, s);
      for (const val of v) s.add(clone(val));
      return s;
    } else if (v instanceof Error) {
      const C = ERRORS[v.name] ?? Error;
      const e = new C();
      // only a message the error has of its own (new Error() has none)
      if (Object.prototype.hasOwnProperty.call(v, 'message')) {
        Object.defineProperty(e, 'message', { value: String(v.message), writable: true, configurable: true, enumerable: false });
      }
      memory.set(v, e);
      if (typeof v.stack === 'string') e.stack = v.stack;
      if ('cause' in v) (e as Error & { cause?: unknown }).cause = clone((v as Error & { cause?: unknown }).cause);
      return e;
    } else {
      const proto = Object.getPrototypeOf(v);
      const tag = Object.prototype.toString.call(v);
      if (v instanceof Promise || v instanceof WeakMap || v instanceof WeakSet || (proto !== Object.prototype && proto !== null && tag !== '[object Object]')) {
        fail(tag.slice(8, -1));
      }
      const o: Record<string, unknown> = {};
      memory.set(v, o);
      for (const k of Object.keys(v)) o[k] = clone((v as Record<string, unknown>)[k]);
      return o;
    }
    memory.set(v, out);
    return out;
  };
  return clone(value) as T;
}
