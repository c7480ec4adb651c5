/**
 * `crypto`: Node's crypto API over the host's (node-host.ts): hashes, HMAC, PBKDF2, scrypt,
 * HKDF, ciphers, signatures and keys, each one bounded call; random numbers from the
 * isolate's `crypto.getRandomValues`; `webcrypto` is the isolate's WebCrypto.
 * Hash, Hmac, Sign and Verify collect their input and call the host once at the end
 * (`digest`, `sign`, `verify`; a long hash goes by parts, crypto-digest.ts); a cipher's
 * `update` gives its output at once (crypto-cipher.ts). Hash, Hmac, Cipher and Decipher
 * are stream.Transforms, Sign and Verify stream.Writables, as in Node (crypto-stream.ts).
 */
import { Buffer } from './buffer.ts';
import { asKey, createPrivateKey, createPublicKey, createSecretKey, generateKeyPair, generateKeyPairSync, KeyObject, keyDer, secretBytes } from './crypto-keys.ts';
import { createDiffieHellman, createDiffieHellmanGroup, createECDH, DiffieHellman, ECDH, getDiffieHellman, privateDecrypt, privateEncrypt, publicDecrypt, publicEncrypt, X509Certificate } from './crypto-asym.ts';
import { Cipheriv, Decipheriv, type CipherOptions } from './crypto-cipher.ts';
import { DigestFeed } from './crypto-digest.ts';
import { chunkEncoding, LazyTransform, LazyWritable, streamStep, type StreamCallback } from './crypto-stream.ts';
import { ab, buf, host, OP_DIGEST, OP_HASH, OP_HKDF, OP_HMAC, OP_PBKDF2, OP_SCRYPT, OP_SIGN, OP_VERIFY } from './host.ts';

type Enc = string | undefined;
type Bytes = string | ArrayBufferView | ArrayBuffer;
const web = globalThis.crypto;

function output(b: Buffer, enc: Enc): Buffer | string {
  return enc === undefined || enc === 'buffer' ? b : b.toString(enc as BufferEncoding);
}

function keyBytes(key: unknown, enc?: string): ArrayBuffer {
  if (key instanceof KeyObject) return ab(secretBytes(key));
  return ab(key as Bytes, enc);
}


/** Sign and Verify: their input collected, for one host call at the end; a stream.Writable whose writes are updates. */
class Collector extends LazyWritable {
  protected chunks: ArrayBuffer[] = [];
  protected done = false;
  update(data: Bytes, enc?: string): this {
    if (this.done) throw Object.assign(new Error('Digest already called'), { code: 'ERR_CRYPTO_HASH_FINALIZED' });
    this.chunks.push(ab(data, enc));
    return this;
  }
  override _write(chunk: Buffer, encoding: string, callback: StreamCallback): void {
    streamStep(callback, () => this.update(chunk, chunkEncoding(encoding)));
  }
  protected all(): ArrayBuffer {
    const total = this.chunks.reduce((n, c) => n + c.byteLength, 0);
    const joined = new Uint8Array(total);
    let at = 0;
    for (const c of this.chunks) {
      joined.set(new Uint8Array(c), at);
      at += c.byteLength;
    }
    return joined.buffer;
  }
}

/** Hash names the host has accepted: an unknown one throws at createHash/createHmac, as in Node, at the cost of one call the first time. */
const knownHashes = new Set<string>();
function checkHash(algorithm: string): void {
  if (typeof algorithm === 'string' && knownHashes.has(algorithm)) return;
  host(OP_HASH, algorithm, new ArrayBuffer(0), null);
  knownHashes.add(algorithm);
}

/**
 * Hash and Hmac: their input goes to a DigestFeed (buffered, or fed to the host by parts
 * when long). A stream.Transform whose writes are updates and whose end pushes the digest.
 */
abstract class Digest extends LazyTransform {
  protected feed: DigestFeed;
  #result: Buffer | null = null;
  #digested = false;
  constructor(open: () => number, options?: unknown) {
    super(options as never);
    this.feed = new DigestFeed(open);
  }
  update(data: Bytes, enc?: string): this {
    if (this.#result !== null) throw Object.assign(new Error('Digest already called'), { code: 'ERR_CRYPTO_HASH_FINALIZED' });
    this.feed.add(ab(data, enc));
    return this;
  }
  digest(enc?: Enc): Buffer | string {
    // the stream's end may have computed it already: digest() then gives it, once, as Node's
    if (this.#digested) throw Object.assign(new Error('Digest already called'), { code: 'ERR_CRYPTO_HASH_FINALIZED' });
    this.#digested = true;
    return output(this.#digest(), enc);
  }
  /** The one host call at the end, over all the input when it never left this side. */
  protected abstract oneShot(all: ArrayBuffer): unknown;
  #digest(): Buffer {
    this.#result ??= buf(this.feed.finish((all) => this.oneShot(all)));
    return this.#result;
  }
  override _transform(chunk: Buffer, encoding: string, callback: StreamCallback): void {
    streamStep(callback, () => this.update(chunk, chunkEncoding(encoding)));
  }
  override _flush(callback: StreamCallback): void {
    // digest() may have been called already: the stream gives the same digest
    streamStep(callback, () => this.push(this.#digest()));
  }
}

export class Hash extends Digest {
  readonly #alg: string;
  readonly #length: number | null;
  constructor(algorithm: string, options?: { outputLength?: number }) {
    const length = options?.outputLength ?? null;
    super(() => host(OP_DIGEST, 'hash', algorithm, length) as number, options);
    this.#alg = algorithm;
    this.#length = length;
    checkHash(algorithm);
  }
  protected oneShot(all: ArrayBuffer): unknown {
    return host(OP_HASH, this.#alg, all, this.#length);
  }
  copy(): Hash {
    const h = new Hash(this.#alg, this.#length === null ? undefined : { outputLength: this.#length });
    h.feed = this.feed.copy(() => host(OP_DIGEST, 'hash', this.#alg, this.#length) as number);
    return h;
  }
}

export class Hmac extends Digest {
  readonly #alg: string;
  readonly #key: ArrayBuffer;
  constructor(algorithm: string, key: unknown, options?: unknown) {
    const secret = keyBytes(key);
    super(() => host(OP_DIGEST, 'hmac', algorithm, secret) as number, options);
    this.#alg = algorithm;
    this.#key = secret;
    checkHash(algorithm);
  }
  protected oneShot(all: ArrayBuffer): unknown {
    return host(OP_HMAC, this.#alg, this.#key, all);
  }
}

export const createHash = (algorithm: string, options?: { outputLength?: number }) => new Hash(algorithm, options);
export const createHmac = (algorithm: string, key: unknown, options?: unknown) => new Hmac(algorithm, key, options);
export function hash(algorithm: string, data: Bytes, enc: Enc = 'hex'): Buffer | string {
  return createHash(algorithm).update(data).digest(enc);
}

export const createCipheriv = (algorithm: string, key: unknown, iv: Bytes | null, options?: CipherOptions) => new Cipheriv(algorithm, keyBytes(key), iv, options);
export const createDecipheriv = (algorithm: string, key: unknown, iv: Bytes | null, options?: CipherOptions) => new Decipheriv(algorithm, keyBytes(key), iv, options);
export { Cipheriv, Decipheriv };

interface SignOptions {
  dsaEncoding?: string;
  padding?: number;
  saltLength?: number;
}

/** Runs `run` now and hands its result or error to `cb` on a microtask, as Node's callback forms report asynchronously. */
function deferred<T>(run: () => T, cb: (e: Error | null, v?: T) => void): void {
  let v: T;
  try {
    v = run();
  } catch (error) {
    queueMicrotask(() => cb(error as Error));
    return;
  }
  queueMicrotask(() => cb(null, v));
}

function signParts(key: unknown): SignOptions {
  if (key !== null && typeof key === 'object' && !(key instanceof KeyObject) && !ArrayBuffer.isView(key)) return key as SignOptions;
  return {};
}

export function sign(algorithm: string | null | undefined, data: Bytes, key: unknown, cb?: (e: Error | null, s?: Buffer) => void): Buffer | void {
  const k = asKey(key, 'private');
  const o = signParts(key);
  const run = () => buf(host(OP_SIGN, algorithm ?? null, ab(data), keyDer(k), o.dsaEncoding ?? null, o.padding ?? null, o.saltLength ?? null));
  if (cb === undefined) return run();
  deferred(run, cb);
}

export function verify(algorithm: string | null | undefined, data: Bytes, key: unknown, signature: Bytes, cb?: (e: Error | null, ok?: boolean) => void): boolean | void {
  const k = asKey(key, 'public');
  const o = signParts(key);
  const run = () => host(OP_VERIFY, algorithm ?? null, ab(data), keyDer(k), k.type, ab(signature), o.dsaEncoding ?? null, o.padding ?? null, o.saltLength ?? null) as boolean;
  if (cb === undefined) return run();
  deferred(run, cb);
}

export class Sign extends Collector {
  readonly #alg: string;
  constructor(algorithm: string, options?: unknown) {
    super(options as never);
    this.#alg = algorithm;
  }
  sign(key: unknown, enc?: Enc): Buffer | string {
    this.done = true;
    return output(sign(this.#alg, new Uint8Array(this.all()), key) as Buffer, enc);
  }
}

export class Verify extends Collector {
  readonly #alg: string;
  constructor(algorithm: string, options?: unknown) {
    super(options as never);
    this.#alg = algorithm;
  }
  verify(key: unknown, signature: Bytes, enc?: string): boolean {
    this.done = true;
    return verify(this.#alg, new Uint8Array(this.all()), key, typeof signature === 'string' ? Buffer.from(signature, (enc ?? 'utf8') as BufferEncoding) : signature) as boolean;
  }
}

export const createSign = (algorithm: string, options?: unknown) => new Sign(algorithm, options);
export const createVerify = (algorithm: string, options?: unknown) => new Verify(algorithm, options);

type Done = (error: Error | null, key?: Buffer) => void;

export function pbkdf2Sync(password: Bytes, salt: Bytes, iterations: number, keylen: number, digest: string): Buffer {
  return buf(host(OP_PBKDF2, ab(password), ab(salt), iterations, keylen, digest));
}
export function pbkdf2(password: Bytes, salt: Bytes, iterations: number, keylen: number, digest: string, cb: Done): void {
  deferred(() => pbkdf2Sync(password, salt, iterations, keylen, digest), cb);
}

interface ScryptOptions {
  N?: number;
  cost?: number;
  r?: number;
  blockSize?: number;
  p?: number;
  parallelization?: number;
}
export function scryptSync(password: Bytes, salt: Bytes, keylen: number, options: ScryptOptions = {}): Buffer {
  return buf(host(OP_SCRYPT, ab(password), ab(salt), keylen, options.N ?? options.cost ?? 16384, options.r ?? options.blockSize ?? 8, options.p ?? options.parallelization ?? 1));
}
export function scrypt(password: Bytes, salt: Bytes, keylen: number, options: ScryptOptions | Done, cb?: Done): void {
  const callback = (typeof options === 'function' ? options : cb) as Done;
  deferred(() => scryptSync(password, salt, keylen, typeof options === 'function' ? {} : options), callback);
}

export function hkdfSync(digest: string, ikm: unknown, salt: Bytes, info: Bytes, keylen: number): ArrayBuffer {
  return host(OP_HKDF, digest, keyBytes(ikm), ab(salt), ab(info), keylen) as ArrayBuffer;
}
export function hkdf(digest: string, ikm: unknown, salt: Bytes, info: Bytes, keylen: number, cb: (e: Error | null, key?: ArrayBuffer) => void): void {
  deferred(() => hkdfSync(digest, ikm, salt, info, keylen), cb);
}

export function randomFillSync<T extends ArrayBufferView | ArrayBuffer>(target: T, offset = 0, size?: number): T {
  const view = target instanceof ArrayBuffer ? new Uint8Array(target) : new Uint8Array(target.buffer, target.byteOffset, target.byteLength);
  const end = size === undefined ? view.byteLength : offset + size;
  for (let at = offset; at < end; at += 65536) web.getRandomValues(view.subarray(at, Math.min(end, at + 65536)));
  return target;
}
export function randomFill<T extends ArrayBufferView | ArrayBuffer>(target: T, ...rest: unknown[]): void {
  const cb = rest.pop() as (e: Error | null, b?: T) => void;
  deferred(() => randomFillSync(target, rest[0] as number | undefined, rest[1] as number | undefined), cb);
}
export function randomBytes(size: number, cb?: (e: Error | null, b?: Buffer) => void): Buffer | void {
  if (!Number.isInteger(size) || size < 0 || size > 2 ** 31 - 1) throw new RangeError('The value of "size" is out of range');
  const run = () => randomFillSync(Buffer.alloc(size));
  if (cb === undefined) return run();
  deferred(run, cb);
}
export const pseudoRandomBytes = randomBytes;
export const randomUUID = (): string => web.randomUUID();
export const getRandomValues = <T extends ArrayBufferView>(array: T): T => web.getRandomValues(array as never) as T;

export function randomInt(min: number, max?: number | ((e: Error | null, n?: number) => void), cb?: (e: Error | null, n?: number) => void): number | void {
  let lo = min;
  let hi = max;
  let callback = cb;
  if (typeof max === 'function' || max === undefined) {
    callback = typeof max === 'function' ? max : undefined;
    lo = 0;
    hi = min;
  }
  const low = lo;
  const high = hi as number;
  if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high) || high <= low || high - low > 2 ** 48) throw new RangeError('The value of "max" is out of range');
  const range = high - low;
  const run = () => {
    const limit = 2 ** 48 - (2 ** 48 % range);
    for (;;) {
      const b = randomFillSync(new Uint8Array(6));
      const x = b[0]! * 2 ** 40 + b[1]! * 2 ** 32 + b[2]! * 2 ** 24 + b[3]! * 2 ** 16 + b[4]! * 2 ** 8 + b[5]!;
      if (x < limit) return low + (x % range);
    }
  };
  if (callback === undefined) return run();
  deferred(run, callback);
}

export function timingSafeEqual(a: ArrayBufferView | ArrayBuffer, b: ArrayBufferView | ArrayBuffer): boolean {
  const x = new Uint8Array(ab(a));
  const y = new Uint8Array(ab(b));
  if (x.byteLength !== y.byteLength) throw Object.assign(new RangeError('Input buffers must have the same byte length'), { code: 'ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH' });
  let diff = 0;
  for (let i = 0; i < x.byteLength; i++) diff |= x[i]! ^ y[i]!;
  return diff === 0;
}

const HASHES = ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512', 'sha512-224', 'sha512-256', 'sha3-224', 'sha3-256', 'sha3-384', 'sha3-512', 'shake128', 'shake256', 'ripemd160'];
export const getHashes = (): string[] => [...HASHES];
export const getCiphers = (): string[] => ['aes-128-cbc', 'aes-192-cbc', 'aes-256-cbc', 'aes-128-ctr', 'aes-192-ctr', 'aes-256-ctr', 'aes-128-gcm', 'aes-192-gcm', 'aes-256-gcm', 'aes-128-ecb', 'aes-256-ecb', 'chacha20-poly1305'];
export const getCurves = (): string[] => ['prime256v1', 'secp256k1', 'secp384r1', 'secp521r1'];
export const getFips = (): number => 0;
export const webcrypto = web;
export const subtle = web.subtle;
export const constants = Object.freeze({
  RSA_PKCS1_PADDING: 1, RSA_NO_PADDING: 3, RSA_PKCS1_OAEP_PADDING: 4, RSA_PKCS1_PSS_PADDING: 6,
  RSA_PSS_SALTLEN_DIGEST: -1, RSA_PSS_SALTLEN_MAX_SIGN: -2, RSA_PSS_SALTLEN_AUTO: -2,
});

export { KeyObject, createPrivateKey, createPublicKey, createSecretKey, generateKeyPair, generateKeyPairSync };
export { createECDH, ECDH, privateDecrypt, privateEncrypt, publicDecrypt, publicEncrypt, X509Certificate };
export { createDiffieHellman, createDiffieHellmanGroup, DiffieHellman, getDiffieHellman };

export default {
  createHash, createHmac, hash, Hash, Hmac, createCipheriv, createDecipheriv, Cipheriv, Decipheriv, sign, verify, createSign, createVerify, Sign, Verify,
  pbkdf2, pbkdf2Sync, scrypt, scryptSync, hkdf, hkdfSync, randomBytes, pseudoRandomBytes, randomFill, randomFillSync, randomUUID, randomInt,
  getRandomValues, timingSafeEqual, getHashes, getCiphers, getCurves, getFips, webcrypto, subtle, constants, KeyObject, createPrivateKey,
  createPublicKey, createSecretKey, generateKeyPair, generateKeyPairSync,
  createECDH, ECDH, privateDecrypt, privateEncrypt, publicDecrypt, publicEncrypt, X509Certificate,
  createDiffieHellman, createDiffieHellmanGroup, DiffieHellman, getDiffieHellman,
};
