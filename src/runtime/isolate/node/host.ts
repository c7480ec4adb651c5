/**
 * The layer's one call to the host (src/runtime/isolate/node-host.ts): synchronous, with
 * copied arguments and results. Taken from the global the host sets and removed from it (or,
 * in a shared layer, given by `bindHost`).
 */
import { Buffer } from './buffer.ts';

import { OP_GENERATE, OP_PBKDF2, OP_SCRYPT, OP_ZLIB } from './host-ops.ts';

interface PoolDoor {
  /** The answer comes as an ExternalCopy: copied into this isolate, then released. */
  applySyncPromise(receiver: undefined, args: unknown[], options: object): { copy(): unknown; release(): void };
}

const g = globalThis as unknown as Record<string, unknown>;
let call = g.__nimbus_node_host as ((...args: unknown[]) => unknown) | undefined;
let pool = g.__nimbus_node_pool as PoolDoor | undefined;
delete g.__nimbus_node_host;
delete g.__nimbus_node_pool;

/** A shared layer, evaluated before any function owns the isolate, gets its doors here when one does. */
export function bindHost(givenCall: unknown, givenPool: unknown): void {
  call = givenCall as typeof call;
  pool = givenPool as typeof pool;
}
/** Options without a prototype: nothing user code puts on Object.prototype is read as one. */
const POOL_OPTIONS = Object.freeze({ __proto__: null, arguments: Object.freeze({ __proto__: null, copy: true }) });
/** zlib input from which the work goes to the thread pool (below, the hop costs more than the work). */
const POOL_ZLIB_BYTES = 256 * 1024;

export * from './host-ops.ts';

/**
 * One host call. PBKDF2, scrypt, key generation and zlib of large inputs take the pool
 * door: this thread waits for the answer (the call stays synchronous) while the work runs
 * on the host's thread pool, not on its main thread.
 */
export function host(op: number, ...args: unknown[]): unknown {
  if (call === undefined) throw new Error('the platform did not provide the Node layer host calls');
  if (pool !== undefined && (op === OP_PBKDF2 || op === OP_SCRYPT || op === OP_GENERATE || (op === OP_ZLIB && args[1] instanceof ArrayBuffer && args[1].byteLength >= POOL_ZLIB_BYTES))) {
    // called directly on the Reference (never through .call/.apply, which user code could patch)
    const answer = pool.applySyncPromise(undefined, [op, ...args], POOL_OPTIONS);
    try {
      return answer.copy();
    } finally {
      answer.release();
    }
  }
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
