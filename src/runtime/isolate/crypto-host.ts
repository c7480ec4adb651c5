/**
 * crypto.subtle for one instance, computed by the host's WebCrypto. The isolate never sees
 * a host CryptoKey: keys live in this per-instance store and the shim holds only their
 * numbers. A number the store did not hand out (forged, or from another instance) finds
 * nothing; the store is bounded and dropped with its instance.
 */
import { webcrypto } from 'node:crypto';

type HostKey = webcrypto.CryptoKey;

/** Where each method takes keys (argument positions, after the method name). */
const KEY_ARGS: Readonly<Record<string, readonly number[]>> = {
  encrypt: [1],
  decrypt: [1],
  sign: [1],
  verify: [1],
  deriveBits: [1],
  deriveKey: [1],
  exportKey: [1],
  wrapKey: [1, 2],
  unwrapKey: [2],
  importKey: [],
  generateKey: [],
};

/** Where each method's algorithm dictionary is (it may carry a key as `public`). */
const ALGORITHM_ARG: Readonly<Record<string, number>> = { deriveBits: 0, deriveKey: 0 };

/** A key as the shim receives it: number, type, extractable, algorithm, usages. */
export type KeyWire = [number, string, boolean, Record<string, unknown>, string[]];

/**
 * Work that runs on the host's thread pool (shared by the whole platform) and is not
 * counted as the function's CPU is bounded: per call, as Cloudflare Workers bounds it, and
 * per instance, by running at most MAX_RUNNING operations at a time.
 */
export const MAX_PBKDF2_ITERATIONS = 100_000;
export const MAX_RSA_MODULUS_BITS = 4096;
const MAX_RUNNING = 2;

function notSupported(message: string): Error {
  return Object.assign(new Error(message), { name: 'NotSupportedError' });
}

function checkCost(method: string, args: unknown[]): void {
  const alg = (method === 'importKey' ? args[2] : method === 'unwrapKey' ? args[3] : args[0]) as Record<string, unknown> | null;
  if (alg === null || typeof alg !== 'object') return;
  const name = String(alg.name).toUpperCase();
  if (name === 'PBKDF2' && Number(alg.iterations) > MAX_PBKDF2_ITERATIONS) {
    throw notSupported(`PBKDF2 iteration counts above ${MAX_PBKDF2_ITERATIONS} are not supported`);
  }
  if (method === 'generateKey' && name.startsWith('RSA') && Number(alg.modulusLength) > MAX_RSA_MODULUS_BITS) {
    throw notSupported(`RSA keys longer than ${MAX_RSA_MODULUS_BITS} bits are not supported`);
  }
}

export class KeyStore {
  readonly #keys = new Map<number, HostKey>();
  readonly #max: number;
  #next = 1;
  #running = 0;
  readonly #waiting: Array<() => void> = [];

  /** Runs `work` when fewer than MAX_RUNNING operations of this instance are running. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#running >= MAX_RUNNING) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#running++;
    try {
      return await work();
    } finally {
      this.#running--;
      this.#waiting.shift()?.();
    }
  }

  constructor(max: number) {
    this.#max = max;
  }

  get size(): number {
    return this.#keys.size;
  }

  get(handle: unknown): HostKey {
    const key = typeof handle === 'number' ? this.#keys.get(handle) : undefined;
    if (key === undefined) throw Object.assign(new Error('the key is not known to this instance'), { name: 'InvalidAccessError' });
    return key;
  }

  add(key: HostKey): KeyWire {
    if (this.#keys.size >= this.#max) {
      throw Object.assign(new Error(`an instance may hold at most ${this.#max} CryptoKeys`), { name: 'QuotaExceededError' });
    }
    const handle = this.#next++;
    this.#keys.set(handle, key);
    return [handle, key.type, key.extractable, plainAlgorithm(key.algorithm), [...key.usages]];
  }

  free(handle: unknown): void {
    if (typeof handle === 'number') this.#keys.delete(handle);
  }

  clear(): void {
    this.#keys.clear();
  }
}

/** key.algorithm as data the isolate can hold (publicExponent as an ArrayBuffer). */
function plainAlgorithm(alg: webcrypto.KeyAlgorithm): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(alg)) {
    if (v instanceof Uint8Array) out[k] = v.slice().buffer;
    else if (v !== null && typeof v === 'object') out[k] = { ...(v as object) };
    else out[k] = v;
  }
  return out;
}

/** Node 20 has CryptoKey only as a global, not on `webcrypto`. */
const HostCryptoKey = (globalThis as unknown as { CryptoKey: new () => HostKey }).CryptoKey;

function isHostKey(v: unknown): v is HostKey {
  return v instanceof HostCryptoKey;
}

function keyResult(store: KeyStore, value: unknown): unknown {
  if (isHostKey(value)) return store.add(value);
  const pair = value as { publicKey?: unknown; privateKey?: unknown };
  if (isHostKey(pair?.publicKey) && isHostKey(pair?.privateKey)) {
    const privateKey = store.add(pair.privateKey);
    try {
      return { publicKey: store.add(pair.publicKey), privateKey };
    } catch (error) {
      store.free(privateKey[0]);
      throw error;
    }
  }
  throw new Error('unexpected key result');
}

function outValue(value: unknown): unknown {
  if (value instanceof ArrayBuffer) return value;
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength).slice().buffer;
  return value;
}

/**
 * Runs `method` with `args` as the isolate sent them (key positions hold numbers,
 * `publicHandle` stands for the algorithm's `public` key). Answers [true, value] or
 * [false, errorName, message]: the shim rebuilds the DOMException or TypeError.
 */
export async function subtleCall(store: KeyStore, method: unknown, args: unknown, publicHandle: unknown): Promise<unknown[]> {
  try {
    const name = String(method);
    const keyArgs = Object.hasOwn(KEY_ARGS, name) ? KEY_ARGS[name] : undefined;
    if (keyArgs === undefined || !Array.isArray(args)) throw new TypeError('bad crypto call');
    const call = [...(args as unknown[])];
    for (const i of keyArgs) call[i] = store.get(call[i]);
    if (typeof publicHandle === 'number') {
      const at = ALGORITHM_ARG[name];
      const alg = at === undefined ? undefined : call[at];
      if (alg === null || typeof alg !== 'object') throw new TypeError('bad crypto call');
      call[at] = { ...(alg as object), public: store.get(publicHandle) };
    }
    checkCost(name, call);
    const subtle = webcrypto.subtle as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
    const value = await store.run(() => subtle[name](...call));
    const producesKey = name === 'generateKey' || name === 'importKey' || name === 'deriveKey' || name === 'unwrapKey';
    return [true, producesKey ? keyResult(store, value) : outValue(value)];
  } catch (error) {
    const e = error as { name?: unknown; message?: unknown };
    return [false, typeof e?.name === 'string' ? e.name : 'OperationError', typeof e?.message === 'string' ? e.message : String(error)];
  }
}
