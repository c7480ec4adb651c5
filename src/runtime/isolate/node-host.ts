/**
 * The host side of the Node layer's `crypto` and `zlib`: one synchronous call from the
 * isolate (`__nimbus_node_host(op, ...args)`, an isolated-vm Callback handed only to
 * bundles that use the layer). Arguments arrive copied, as strings, numbers, booleans,
 * ArrayBuffers and plain data, and each is checked before use; results go back as
 * ArrayBuffers, strings, numbers and plain arrays, so no host object ever reaches the
 * isolate. Keys cross as DER bytes (PKCS#8, SPKI) or raw secrets the isolate holds.
 *
 * These calls run on the platform's main thread while the isolate waits, so each is bounded
 * (input bytes, output bytes, iterations, memory, key sizes): no call can stall the
 * platform for long or make it allocate much. The ones that take tens of milliseconds
 * (PBKDF2, scrypt, key generation, zlib of large inputs) come instead through
 * nodeHostWork, a second door the isolate waits on (applySyncPromise: its code still sees a
 * synchronous call) while the work runs on libuv's thread pool, behind the crypto gates,
 * and the platform's main thread stays free.
 */
import { promisify } from 'node:util';
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  generateKeyPairSync,
  getCiphers,
  getHashes,
  hkdfSync,
  pbkdf2,
  pbkdf2Sync,
  scrypt,
  scryptSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import * as zlib from 'node:zlib';

export * from './node/host-ops.ts';
import {
  OP_HASH,
  OP_HMAC,
  OP_PBKDF2,
  OP_SCRYPT,
  OP_HKDF,
  OP_CIPHER,
  OP_KEY,
  OP_SIGN,
  OP_VERIFY,
  OP_GENERATE,
  OP_EXPORT,
  OP_ZLIB,
  OP_RSA,
  OP_ECDH,
  OP_X509,
  OP_DH,
} from './node/host-ops.ts';
import { asymmetricCall } from './node-host-asym.ts';

/** Bytes one call may take in (each input) and give back. */
export const MAX_INPUT_BYTES = 8 * 1024 * 1024;
export const MAX_OUTPUT_BYTES = 32 * 1024 * 1024;
export const MAX_PBKDF2_ITERATIONS = 100_000;
export const MAX_DERIVED_BYTES = 1024;
/** scrypt's memory (128 · N · r bytes). */
export const MAX_SCRYPT_MEMORY = 32 * 1024 * 1024;
export const MAX_RSA_BITS = 4096;
/** RSA keys generated synchronously on the platform's thread: larger ones take seconds. */
export const MAX_RSA_GENERATE_BITS = 2048;

const HASHES = new Set(getHashes().map((h) => h.toLowerCase()));
const CIPHERS = new Set(getCiphers().map((c) => c.toLowerCase()));
const ZLIB_MODES = new Set(['deflate', 'inflate', 'gzip', 'gunzip', 'deflateRaw', 'inflateRaw', 'unzip', 'brotliCompress', 'brotliDecompress']);

function fail(message: string): never {
  throw new Error(message);
}

export function bytes(v: unknown, what: string, max = MAX_INPUT_BYTES): Buffer {
  if (!(v instanceof ArrayBuffer)) fail(`${what} must be bytes`);
  if (v.byteLength > max) fail(`${what} is ${v.byteLength} bytes; the limit is ${max}`);
  return Buffer.from(v);
}

function optionalBytes(v: unknown, what: string): Buffer | undefined {
  return v === null || v === undefined ? undefined : bytes(v, what);
}

export function int(v: unknown, what: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(`${what} must be an integer from ${min} to ${max}`);
  return v;
}

/** A string argument; nothing is coerced (a coercion could run code the caller made). */
function str(v: unknown, what: string): string {
  if (typeof v !== 'string' || v.length > 256) fail(`${what} must be a short string`);
  return v;
}

export function hashName(v: unknown): string {
  if (typeof v !== 'string') fail('Digest method not supported: the name must be a string');
  const name = v.toLowerCase();
  if (!HASHES.has(name)) fail(`Digest method not supported: ${String(v)}`);
  return name;
}

export function out(buf: Buffer | Uint8Array): ArrayBuffer {
  if (buf.byteLength > MAX_OUTPUT_BYTES) fail(`the result is over ${MAX_OUTPUT_BYTES} bytes`);
  const copy = new Uint8Array(buf.byteLength);
  copy.set(buf);
  return copy.buffer;
}

/** A key the isolate sent: DER bytes and which kind they are. */
function keyOf(der: unknown, kind: unknown): KeyObject {
  const data = bytes(der, 'key');
  if (kind === 'private') return createPrivateKey({ key: data, format: 'der', type: 'pkcs8' });
  if (kind === 'public') return createPublicKey({ key: data, format: 'der', type: 'spki' });
  return fail('key kind must be private or public');
}

function checkSize(key: KeyObject): void {
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (bits !== undefined && bits > MAX_RSA_BITS) fail(`RSA keys are limited to ${MAX_RSA_BITS} bits`);
}

/** Plain data describing a key, for the isolate's KeyObject. */
function describe(key: KeyObject): [string, string | null, Record<string, unknown>] {
  const d = key.asymmetricKeyDetails ?? {};
  const details: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(d)) details[k] = typeof v === 'bigint' ? Number(v) : v;
  return [key.type, key.asymmetricKeyType ?? null, details];
}

/** A key in any form createPrivateKey/createPublicKey take → [DER, kind, type, asymmetricKeyType, details]. */
function importKey(kind: unknown, data: unknown, format: unknown, type: unknown, passphrase: unknown): unknown[] {
  const fmt = format === 'der' || format === 'jwk' ? format : 'pem';
  const key =
    fmt === 'jwk'
      ? (typeof data === 'string' ? JSON.parse(data) : fail('a JWK must come as JSON text'))
      : fmt === 'pem'
        ? typeof data === 'string'
          ? data.length <= MAX_INPUT_BYTES
            ? data
            : fail('key too large')
          : bytes(data, 'key').toString('utf8')
        : bytes(data, 'key');
  const options = {
    key,
    format: fmt,
    ...(type === 'pkcs1' || type === 'pkcs8' || type === 'spki' || type === 'sec1' ? { type } : {}),
    ...(typeof passphrase === 'string' || passphrase instanceof ArrayBuffer ? { passphrase: typeof passphrase === 'string' ? passphrase : Buffer.from(passphrase) } : {}),
  } as Parameters<typeof createPrivateKey>[0] & object;
  let obj: KeyObject;
  if (kind === 'private') obj = createPrivateKey(options);
  else if (kind === 'public') obj = createPublicKey(options as Parameters<typeof createPublicKey>[0]);
  else fail('key kind must be private or public');
  checkSize(obj);
  const der = obj.type === 'private' ? obj.export({ format: 'der', type: 'pkcs8' }) : obj.export({ format: 'der', type: 'spki' });
  return [out(der), obj.type, ...describe(obj).slice(1)];
}

/** The operations nodeHostWork takes (on the thread pool). */
export const POOL_OPS: ReadonlySet<number> = new Set([OP_PBKDF2, OP_SCRYPT, OP_GENERATE, OP_ZLIB]);

type Pbkdf2Args = [Buffer, Buffer, number, number, string];
function pbkdf2Args(a: unknown, b: unknown, c: unknown, d: unknown, e: unknown): Pbkdf2Args {
  return [bytes(a, 'password', 1024 * 1024), bytes(b, 'salt', 1024 * 1024), int(c, 'iterations', 1, MAX_PBKDF2_ITERATIONS), int(d, 'keylen', 0, MAX_DERIVED_BYTES), hashName(e)];
}

type ScryptArgs = [Buffer, Buffer, number, { N: number; r: number; p: number; maxmem: number }];
function scryptArgs(a: unknown, b: unknown, c: unknown, d: unknown, e: unknown, f: unknown): ScryptArgs {
  const N = int(d, 'N', 2, 2 ** 20);
  const r = int(e, 'r', 1, 64);
  const p = int(f, 'p', 1, 16);
  if (128 * N * r > MAX_SCRYPT_MEMORY || 128 * N * r * p > MAX_SCRYPT_MEMORY * 4) fail(`scrypt parameters need more than ${MAX_SCRYPT_MEMORY} bytes of memory or work`);
  return [bytes(a, 'password', 1024 * 1024), bytes(b, 'salt', 1024 * 1024), int(c, 'keylen', 0, MAX_DERIVED_BYTES), { N, r, p, maxmem: MAX_SCRYPT_MEMORY + 1024 * 1024 }];
}

function generateArgs(a: unknown, b: unknown): [string, Record<string, unknown>] {
  const type = str(a, 'key type');
  const o = (b !== null && typeof b === 'object' ? b : {}) as Record<string, unknown>;
  const options: Record<string, unknown> = {};
  if (type === 'rsa' || type === 'rsa-pss') {
    options.modulusLength = int(o.modulusLength, 'modulusLength', 512, MAX_RSA_GENERATE_BITS);
    if (o.publicExponent !== undefined) options.publicExponent = int(o.publicExponent, 'publicExponent', 3, 2 ** 31 - 1);
  } else if (type === 'ec') {
    options.namedCurve = str(o.namedCurve, 'namedCurve');
  } else if (!['ed25519', 'ed448', 'x25519', 'x448'].includes(type)) {
    fail(`key type ${type} cannot be generated here`);
  }
  return [type, options];
}

function pairResult(pair: { privateKey: KeyObject; publicKey: KeyObject }): unknown[] {
  return [out(pair.privateKey.export({ format: 'der', type: 'pkcs8' })), out(pair.publicKey.export({ format: 'der', type: 'spki' })), ...describe(pair.privateKey).slice(1)];
}

function zlibArgs(mode: unknown, data: unknown, options: unknown): [string, Buffer, zlib.ZlibOptions & zlib.BrotliOptions] {
  const m = str(mode, 'zlib operation');
  if (!ZLIB_MODES.has(m)) fail(`unknown zlib operation ${m}`);
  const o = (options !== null && typeof options === 'object' ? options : {}) as Record<string, unknown>;
  const opts: zlib.ZlibOptions & zlib.BrotliOptions = { maxOutputLength: MAX_OUTPUT_BYTES };
  if (typeof o.level === 'number') opts.level = int(o.level, 'level', -1, 9);
  if (typeof o.windowBits === 'number') opts.windowBits = int(o.windowBits, 'windowBits', 0, 15);
  if (typeof o.memLevel === 'number') opts.memLevel = int(o.memLevel, 'memLevel', 1, 9);
  if (typeof o.strategy === 'number') opts.strategy = int(o.strategy, 'strategy', 0, 4);
  if (o.params !== null && typeof o.params === 'object') {
    const params: Record<number, number> = {};
    for (const [k, v] of Object.entries(o.params as Record<string, unknown>)) params[int(Number(k), 'brotli parameter', 0, 100)] = int(v, 'brotli parameter value', 0, 2 ** 30);
    opts.params = params;
  }
  return [m, bytes(data, 'data'), opts];
}

function zlibCall(mode: unknown, data: unknown, options: unknown): ArrayBuffer {
  const [m, input, opts] = zlibArgs(mode, data, options);
  const fn = (zlib as unknown as Record<string, (b: Buffer, o: object) => Buffer>)[`${m}Sync`]!;
  return out(fn(input, opts));
}

const pbkdf2Async = promisify(pbkdf2);
const scryptAsync = promisify(scrypt) as (password: Buffer, salt: Buffer, keylen: number, options: object) => Promise<Buffer>;
const generateAsync = promisify(generateKeyPair) as unknown as (type: string, options: object) => Promise<{ privateKey: KeyObject; publicKey: KeyObject }>;

/**
 * The work of one POOL_OPS call from the isolate, on libuv's thread pool: its arguments
 * are checked here, on the main thread, as nodeHostCall checks them; only the work runs
 * elsewhere. Rejects with an Error whose message the isolate sees.
 */
export function nodeHostWork(op: unknown, a?: unknown, b?: unknown, c?: unknown, d?: unknown, e?: unknown, f?: unknown): Promise<unknown> {
  try {
    switch (op) {
      case OP_PBKDF2:
        return pbkdf2Async(...pbkdf2Args(a, b, c, d, e)).then(out);
      case OP_SCRYPT:
        return scryptAsync(...scryptArgs(a, b, c, d, e, f)).then(out);
      case OP_GENERATE: {
        const [type, options] = generateArgs(a, b);
        return generateAsync(type, options).then(pairResult);
      }
      case OP_ZLIB: {
        const [m, input, opts] = zlibArgs(a, b, c);
        const fn = (zlib as unknown as Record<string, (b: Buffer, o: object, cb: (e: Error | null, r: Buffer) => void) => void>)[m]!;
        return promisify(fn)(input, opts).then(out);
      }
      default:
        return fail('this operation does not run on the thread pool');
    }
  } catch (error) {
    return Promise.reject(error);
  }
}

/** One call from the isolate. Throws an Error whose message the isolate sees. */
export function nodeHostCall(op: unknown, a?: unknown, b?: unknown, c?: unknown, d?: unknown, e?: unknown, f?: unknown, g?: unknown, h?: unknown): unknown {
  switch (op) {
    case OP_HASH: {
      const alg = hashName(a);
      const len = c === null || c === undefined ? undefined : int(c, 'outputLength', 0, MAX_DERIVED_BYTES);
      return out(createHash(alg, len === undefined ? undefined : { outputLength: len }).update(bytes(b, 'data')).digest());
    }
    case OP_HMAC:
      return out(createHmac(hashName(a), bytes(b, 'key', 1024 * 1024)).update(bytes(c, 'data')).digest());
    case OP_PBKDF2:
      return out(pbkdf2Sync(...pbkdf2Args(a, b, c, d, e)));
    case OP_SCRYPT:
      return out(scryptSync(...scryptArgs(a, b, c, d, e, f)));
    case OP_HKDF:
      return out(Buffer.from(hkdfSync(hashName(a), bytes(b, 'key', 1024 * 1024), bytes(c, 'salt', 1024 * 1024), bytes(d, 'info', 1024), int(e, 'keylen', 0, 255 * 64))));
    case OP_CIPHER: {
      // (alg, key, iv, data, decrypt, aad, authTag, authTagLength): all of a cipher in one call, as
      // bundles that carry an older layer call it; the layer's ciphers use OP_CIPHER_PARTS (node-ciphers.ts)
      const alg = str(a, 'cipher').toLowerCase();
      if (!CIPHERS.has(alg)) fail(`Unknown cipher ${alg}`);
      const key = bytes(b, 'key', 1024);
      const iv = c === null ? null : bytes(c, 'iv', 1024);
      const data = bytes(d, 'data');
      const options = typeof h === 'number' ? { authTagLength: int(h, 'authTagLength', 4, 16) } : undefined;
      const aad = optionalBytes(f, 'aad');
      if (e === true) {
        const decipher = createDecipheriv(alg, key, iv, options as never);
        if (aad) (decipher as unknown as { setAAD(b: Buffer, o?: object): void }).setAAD(aad, { plaintextLength: data.length });
        const tag = optionalBytes(g, 'authTag');
        if (tag) (decipher as unknown as { setAuthTag(b: Buffer): void }).setAuthTag(tag);
        return [out(Buffer.concat([decipher.update(data), decipher.final()])), null];
      }
      const cipher = createCipheriv(alg, key, iv, options as never);
      if (aad) (cipher as unknown as { setAAD(b: Buffer, o?: object): void }).setAAD(aad, { plaintextLength: data.length });
      const result = Buffer.concat([cipher.update(data), cipher.final()]);
      let tag: ArrayBuffer | null = null;
      try {
        tag = out((cipher as unknown as { getAuthTag(): Buffer }).getAuthTag());
      } catch {
        tag = null;
      }
      return [out(result), tag];
    }
    case OP_KEY:
      return importKey(a, b, c, d, e);
    case OP_SIGN: {
      // (alg|null, data, privateDer, dsaEncoding, padding, saltLength)
      const key = keyOf(c, 'private');
      checkSize(key);
      const alg = a === null ? null : hashName(a);
      return out(sign(alg, bytes(b, 'data'), signOptions(key, d, e, f)));
    }
    case OP_VERIFY: {
      // (alg|null, data, keyDer, kind, signature, dsaEncoding, padding, saltLength)
      const key = keyOf(c, d);
      checkSize(key);
      const alg = a === null ? null : hashName(a);
      return verify(alg, bytes(b, 'data'), signOptions(key, f, g, h) as never, bytes(e, 'signature', 1024 * 1024));
    }
    case OP_GENERATE: {
      const [type, options] = generateArgs(a, b);
      return pairResult(generateKeyPairSync(type as 'rsa', options as never) as unknown as { privateKey: KeyObject; publicKey: KeyObject });
    }
    case OP_EXPORT: {
      // (der, kind, format, type, cipher, passphrase)
      const key = keyOf(a, b);
      const format = c === 'der' || c === 'jwk' ? c : 'pem';
      if (format === 'jwk') return JSON.stringify(key.export({ format: 'jwk' }));
      const type = d === null || d === undefined ? (key.type === 'private' ? 'pkcs8' : 'spki') : str(d, 'type');
      const options: Record<string, unknown> = { format, type };
      if (e !== null && e !== undefined) {
        options.cipher = str(e, 'cipher');
        options.passphrase = typeof f === 'string' ? f : bytes(f, 'passphrase', 1024);
      }
      const exported = key.export(options as never) as string | Buffer;
      return typeof exported === 'string' ? exported : out(exported);
    }
    case OP_ZLIB:
      return zlibCall(a, b, c);
    case OP_RSA:
    case OP_ECDH:
    case OP_X509:
    case OP_DH:
      return asymmetricCall(op, a, b, c, d, e, f, g);
    default:
      return fail('unknown host operation');
  }
}

function signOptions(key: KeyObject, dsaEncoding: unknown, padding: unknown, saltLength: unknown) {
  return {
    key,
    ...(dsaEncoding === 'ieee-p1363' || dsaEncoding === 'der' ? { dsaEncoding } : {}),
    ...(typeof padding === 'number' ? { padding: int(padding, 'padding', 1, 6) } : {}),
    ...(typeof saltLength === 'number' ? { saltLength: int(saltLength, 'saltLength', -2, 1024) } : {}),
  } as Parameters<typeof sign>[2] & object;
}
