/** structuredClone, in the isolate (no host round trip). `transfer` is not supported. */
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
  if (options?.transfer !== undefined && [...options.transfer].length > 0) {
    throw new DOMException('structuredClone transfer is not supported in Nimbus yet', 'DataCloneError');
  }
  const memory = new Map<object, unknown>();

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
    else if (v instanceof ArrayBuffer) out = cloneBuffer(v);
    else if (v instanceof File) out = new File([v], v.name, { type: v.type, lastModified: v.lastModified });
    else if (v instanceof Blob) out = new Blob([v], { type: v.type });
    else if (ArrayBuffer.isView(v)) {
      const buf = clone(v.buffer) as ArrayBuffer;
      const C = v.constructor as new (b: ArrayBuffer, o: number, l: number) => ArrayBufferView;
      const len = v instanceof DataView ? v.byteLength : (v as unknown as { length: number }).length;
      out = new C(buf, v.byteOffset, len);
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
