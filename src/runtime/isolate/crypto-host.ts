/**
 * crypto.subtle for one instance, computed by the host's WebCrypto. The isolate never sees
 * a host CryptoKey: keys live in this per-instance store and the shim holds only their
 * numbers. A number the store did not hand out (forged, or from another instance) finds
 * nothing; the store is bounded and dropped with its instance.
 */
import { KeyObject, webcrypto } from 'node:crypto';
import { CryptoGate, inputBytesOf, POOL_BOUNDS } from './crypto-pool.ts';

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
 * Work that runs on the host's thread pool (libuv's, shared by the whole platform) and is
 * not counted as the function's CPU is bounded per call, as Cloudflare Workers bounds it,
 * and across the platform by HOST_GATE. PBKDF2 costs `iterations` per hash-sized block of
 * output, so its output is bounded as well as its iterations; HMAC keys longer than a
 * hash block are hashed down before use, so a longer one adds nothing but host memory.
 */
export const MAX_PBKDF2_ITERATIONS = 100_000;
export const MAX_RSA_MODULUS_BITS = 4096;
/** deriveBits/deriveKey output of PBKDF2 and HKDF, in bits (512 bytes). */
export const MAX_DERIVED_BITS = 4096;
/** Length of a generated or derived HMAC key, in bits (512 bytes, four SHA-512 blocks). */
export const MAX_HMAC_KEY_BITS = 4096;

/** Crypto work of all instances on libuv's pool, within POOL_BOUNDS. */
export const HOST_GATE = new CryptoGate(POOL_BOUNDS);

function notSupported(message: string): Error {
  return Object.assign(new Error(message), { name: 'NotSupportedError' });
}

function algName(alg: unknown): string {
  return String(typeof alg === 'string' ? alg : (alg as { name?: unknown } | null)?.name).toUpperCase();
}

function checkCost(method: string, args: unknown[]): void {
  const alg = (method === 'importKey' ? args[2] : method === 'unwrapKey' ? args[3] : args[0]) as Record<string, unknown> | null;
  if (alg === null || typeof alg !== 'object') return;
  const name = algName(alg);
  if (name === 'PBKDF2' && Number(alg.iterations) > MAX_PBKDF2_ITERATIONS) {
    throw notSupported(`PBKDF2 iteration counts above ${MAX_PBKDF2_ITERATIONS} are not supported`);
  }
  if (method === 'deriveBits' && (name === 'PBKDF2' || name === 'HKDF') && Number(args[2]) > MAX_DERIVED_BITS) {
    throw notSupported(`${name} output longer than ${MAX_DERIVED_BITS} bits is not supported`);
  }
  const made = method === 'deriveKey' ? args[2] : method === 'generateKey' ? alg : undefined;
  if (made !== undefined && algName(made) === 'HMAC' && Number((made as { length?: unknown }).length) > MAX_HMAC_KEY_BITS) {
    throw notSupported(`HMAC keys longer than ${MAX_HMAC_KEY_BITS} bits are not supported`);
  }
  if (method === 'generateKey' && name.startsWith('RSA') && Number(alg.modulusLength) > MAX_RSA_MODULUS_BITS) {
    throw notSupported(`RSA keys longer than ${MAX_RSA_MODULUS_BITS} bits are not supported`);
  }
}

/**
 * Bytes a host key holds: a secret key's length (raw imported ones included), an RSA key's
 * modulus (five times over for a private key: d, p, q and the CRT values), and a flat 256
 * for the fixed-size elliptic-curve keys.
 */
export function keyBytes(key: HostKey): number {
  const k = KeyObject.from(key);
  if (k.type === 'secret') return k.symmetricKeySize ?? 0;
  const bits = k.asymmetricKeyDetails?.modulusLength;
  if (bits === undefined) return 256;
  return Math.ceil(bits / 8) * (k.type === 'private' ? 5 : 1);
}

function checkKey(key: HostKey): void {
  const bits = (key.algorithm as { modulusLength?: unknown }).modulusLength;
  if (typeof bits === 'number' && bits > MAX_RSA_MODULUS_BITS) {
    throw notSupported(`RSA keys longer than ${MAX_RSA_MODULUS_BITS} bits are not supported`);
  }
}

function quota(message: string): Error {
  return Object.assign(new Error(message), { name: 'QuotaExceededError' });
}

export class KeyStore {
  readonly #keys = new Map<number, { key: HostKey; bytes: number }>();
  readonly #max: number;
  readonly #maxBytes: number;
  readonly #gate: CryptoGate;
  #bytes = 0;
  #next = 1;

  /** Runs `work` on the host's thread pool when the platform-wide gate lets it; `inputBytes` is what it holds meanwhile. */
  run<T>(work: () => Promise<T>, inputBytes = 0): Promise<T> {
    return this.#gate.run(this, work, inputBytes);
  }

  constructor(max: number, maxBytes: number, gate: CryptoGate = HOST_GATE) {
    this.#max = max;
    this.#maxBytes = maxBytes;
    this.#gate = gate;
  }

  get size(): number {
    return this.#keys.size;
  }

  /** Bytes the held keys take (keyBytes). */
  get bytes(): number {
    return this.#bytes;
  }

  get(handle: unknown): HostKey {
    const key = typeof handle === 'number' ? this.#keys.get(handle)?.key : undefined;
    if (key === undefined) throw Object.assign(new Error('the key is not known to this instance'), { name: 'InvalidAccessError' });
    return key;
  }

  add(key: HostKey): KeyWire {
    checkKey(key);
    if (this.#keys.size >= this.#max) throw quota(`an instance may hold at most ${this.#max} CryptoKeys`);
    const bytes = keyBytes(key);
    if (this.#bytes + bytes > this.#maxBytes) throw quota(`an instance's CryptoKeys may hold at most ${this.#maxBytes} bytes`);
    const handle = this.#next++;
    this.#keys.set(handle, { key, bytes });
    this.#bytes += bytes;
    return [handle, key.type, key.extractable, plainAlgorithm(key.algorithm), [...key.usages]];
  }

  free(handle: unknown): void {
    const entry = typeof handle === 'number' ? this.#keys.get(handle) : undefined;
    if (entry === undefined) return;
    this.#keys.delete(handle as number);
    this.#bytes -= entry.bytes;
  }

  /** Forgets every key and drops this instance's crypto work still waiting its turn. */
  clear(): void {
    this.#keys.clear();
    this.#bytes = 0;
    this.#gate.cancel(this);
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
    // importKey parses on the calling thread (no pool work), so it does not wait at the gate
    const value = name === 'importKey' ? await subtle.importKey(...call) : await store.run(() => subtle[name](...call), inputBytesOf(call));
    const producesKey = name === 'generateKey' || name === 'importKey' || name === 'deriveKey' || name === 'unwrapKey';
    return [true, producesKey ? keyResult(store, value) : outValue(value)];
  } catch (error) {
    const e = error as { name?: unknown; message?: unknown };
    return [false, typeof e?.name === 'string' ? e.name : 'OperationError', typeof e?.message === 'string' ? e.message : String(error)];
  }
}
