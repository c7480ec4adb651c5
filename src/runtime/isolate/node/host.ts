/**
 * The layer's one call to the host (src/runtime/isolate/node-host.ts): synchronous, with
 * copied arguments and results. Taken from the global the host sets and removed from it.
 */
import { Buffer } from './buffer.ts';

const g = globalThis as unknown as Record<string, unknown>;
const call = g.__nimbus_node_host as ((...args: unknown[]) => unknown) | undefined;
delete g.__nimbus_node_host;

export * from './host-ops.ts';

export function host(op: number, ...args: unknown[]): unknown {
  if (call === undefined) throw new Error('the platform did not provide the Node layer host calls');
  return call(op, ...args);
}

/** The bytes of a Buffer/TypedArray/DataView/ArrayBuffer/string as an exact ArrayBuffer copy. */
export function ab(data: unknown, encoding?: string): ArrayBuffer {
  let u: Uint8Array;
  if (typeof data === 'string') u = Buffer.from(data, (encoding ?? 'utf8') as BufferEncoding);
  else if (data instanceof ArrayBuffer) return data.slice(0);
  else if (ArrayBuffer.isView(data)) u = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  else throw new TypeError('The "data" argument must be of type string or an instance of Buffer, TypedArray, DataView or ArrayBuffer');
  return u.buffer.slice(u.byteOffset, u.byteOffset + u.byteLength) as ArrayBuffer;
}

export function buf(result: unknown): Buffer {
  return Buffer.from(result as ArrayBuffer);
}
