/** crypto.getRandomValues / randomUUID, and crypto.subtle digest + HMAC done by the host. */
import { OP_DIGEST, OP_HMAC } from '../protocol.ts';
import { randomInto } from './bridge.ts';
import { hostCall } from './calls.ts';
import { exactBuffer, toBytes } from './encoding.ts';
import { DOMException } from './events.ts';

const INTEGER_ARRAYS = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, BigInt64Array, BigUint64Array];

function getRandomValues<T extends ArrayBufferView>(array: T): T {
  if (!INTEGER_ARRAYS.some((C) => array instanceof C)) {
    throw new DOMException("The data provided is not an integer-type array", 'TypeMismatchError');
  }
  if (array.byteLength > 65536) {
    throw new DOMException(`The ArrayBufferView's byte length (${array.byteLength}) exceeds 65536`, 'QuotaExceededError');
  }
  randomInto(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
  return array;
}

function randomUUID(): string {
  const b = new Uint8Array(16);
  randomInto(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  let h = '';
  for (let i = 0; i < 16; i++) h += (b[i] + 0x100).toString(16).slice(1);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const HASHES: Record<string, string> = { 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };

function hashName(algorithm: unknown): string {
  const name = typeof algorithm === 'string' ? algorithm : (algorithm as { name?: unknown })?.name;
  const h = HASHES[String(name).toUpperCase()];
  if (h === undefined) throw new DOMException(`Unrecognized algorithm name: ${String(name)}`, 'NotSupportedError');
  return h;
}

function copyOf(data: unknown): ArrayBuffer {
  return exactBuffer(toBytes(data).slice());
}

export class CryptoKey {
  readonly type = 'secret';
  readonly extractable: boolean;
  readonly algorithm: { name: string; hash: { name: string }; length: number };
  readonly usages: string[];
  readonly _raw: ArrayBuffer;
  constructor(raw: ArrayBuffer, hash: string, extractable: boolean, usages: string[]) {
    this._raw = raw;
    this.extractable = extractable;
    this.algorithm = { name: 'HMAC', hash: { name: hash }, length: raw.byteLength * 8 };
    this.usages = usages;
  }
  get [Symbol.toStringTag](): string {
    return 'CryptoKey';
  }
}

function unsupported(what: string): Promise<never> {
  return Promise.reject(new DOMException(`crypto.subtle.${what} is not supported in Nimbus yet (digest and HMAC are)`, 'NotSupportedError'));
}

function hmacParams(algorithm: unknown): void {
  const name = typeof algorithm === 'string' ? algorithm : (algorithm as { name?: unknown })?.name;
  if (String(name).toUpperCase() !== 'HMAC') throw new DOMException(`Unsupported algorithm: ${String(name)} (only HMAC)`, 'NotSupportedError');
}

async function sign(algorithm: unknown, key: CryptoKey, data: unknown): Promise<ArrayBuffer> {
  hmacParams(algorithm);
  if (!(key instanceof CryptoKey)) throw new TypeError('key is not a CryptoKey');
  return (await hostCall(OP_HMAC, hashName(key.algorithm.hash.name), key._raw, copyOf(data))) as ArrayBuffer;
}

export const subtle = {
  async digest(algorithm: unknown, data: unknown): Promise<ArrayBuffer> {
    const h = hashName(algorithm);
    return (await hostCall(OP_DIGEST, h, copyOf(data))) as ArrayBuffer;
  },
  async importKey(format: string, keyData: unknown, algorithm: unknown, extractable: boolean, usages: string[]): Promise<CryptoKey> {
    hmacParams(algorithm);
    if (format !== 'raw') throw new DOMException(`Key format ${format} is not supported (only raw)`, 'NotSupportedError');
    const hash = (algorithm as { hash?: unknown }).hash;
    hashName(hash);
    const hashLabel = typeof hash === 'string' ? hash.toUpperCase() : String((hash as { name: string }).name).toUpperCase();
    return new CryptoKey(copyOf(keyData), hashLabel, Boolean(extractable), [...usages]);
  },
  async exportKey(format: string, key: CryptoKey): Promise<ArrayBuffer> {
    if (format !== 'raw' || !key.extractable) throw new DOMException('Key is not extractable in this format', 'InvalidAccessError');
    return key._raw.slice(0);
  },
  sign,
  async verify(algorithm: unknown, key: CryptoKey, signature: unknown, data: unknown): Promise<boolean> {
    const expected = new Uint8Array(await sign(algorithm, key, data));
    const given = toBytes(signature);
    if (given.length !== expected.length) return false;
    let diff = 0;
    for (let i = 0; i < given.length; i++) diff |= given[i] ^ expected[i];
    return diff === 0;
  },
  encrypt: () => unsupported('encrypt'),
  decrypt: () => unsupported('decrypt'),
  generateKey: () => unsupported('generateKey'),
  deriveKey: () => unsupported('deriveKey'),
  deriveBits: () => unsupported('deriveBits'),
  wrapKey: () => unsupported('wrapKey'),
  unwrapKey: () => unsupported('unwrapKey'),
};

export const crypto = { getRandomValues, randomUUID, subtle };
