/**
 * crypto.getRandomValues / randomUUID, and crypto.subtle. Digests are done by the host
 * directly; every keyed operation goes to the host's WebCrypto (crypto-host.ts) with the
 * arguments copied to plain data and keys replaced by their numbers.
 */
import { OP_DIGEST, OP_SUBTLE } from '../protocol.ts';
import { randomInto } from './bridge.ts';
import { hostCall } from './calls.ts';
import { CryptoKey, handleOf, type KeyWire, mintKey, sweepKeys } from './crypto-key.ts';
import { exactBuffer, toBytes } from './encoding.ts';
import { DOMException, QuotaExceededError } from './events.ts';

export { CryptoKey };

const INTEGER_ARRAYS = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, BigInt64Array, BigUint64Array];

function getRandomValues<T extends ArrayBufferView>(array: T): T {
  if (!INTEGER_ARRAYS.some((C) => array instanceof C)) {
    throw new DOMException("The data provided is not an integer-type array", 'TypeMismatchError');
  }
  if (array.byteLength > 65536) {
    throw new QuotaExceededError(`The ArrayBufferView's byte length (${array.byteLength}) exceeds 65536`);
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

const MAX_DEPTH = 8;

/**
 * A copy made only of data the host can take: buffers become ArrayBuffers (copied now, as
 * the spec asks), dictionaries plain objects. Keys are not data: only key arguments and an
 * algorithm's `public` member may hold one, and those are handled by the caller.
 */
function toData(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return typeof value === 'function' || typeof value === 'symbol' ? undefined : value;
  if (depth > MAX_DEPTH) throw new TypeError('crypto.subtle: argument nested too deeply');
  // a Uint8Array stays one (RSA's publicExponent must be one); other buffers become ArrayBuffers
  if (value instanceof Uint8Array) return value.slice();
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return exactBuffer(toBytes(value).slice());
  if (handleOf(value) !== undefined) throw new TypeError('a CryptoKey cannot be used here');
  if (Array.isArray(value)) return value.map((v) => toData(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const k in value) {
    const v = toData((value as Record<string, unknown>)[k], depth + 1);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

function keyArg(value: unknown, what: string): number {
  const handle = handleOf(value);
  if (handle === undefined) throw new TypeError(`The "${what}" argument must be an instance of CryptoKey`);
  return handle;
}

function rebuildError(name: string, message: string): Error {
  if (name === 'TypeError') return new TypeError(message);
  // Node 20 names one error off the spec
  if (name === 'InvalidAccessException') return new DOMException(message, 'InvalidAccessError');
  if (name === 'RangeError') return new RangeError(message);
  if (name === 'SyntaxError' && message.startsWith('Unexpected token')) return new SyntaxError(message);
  if (name === 'QuotaExceededError') return new QuotaExceededError(message);
  return new DOMException(message, name === 'Error' ? 'OperationError' : name);
}

type Reply = [true, unknown] | [false, string, string];

async function call(method: string, args: unknown[], publicKey: number | null = null): Promise<unknown> {
  let reply = (await hostCall(OP_SUBTLE, method, args, publicKey)) as Reply;
  // the host's store is full: free the keys the isolate has let go of, and try once more
  if (reply[0] === false && reply[1] === 'QuotaExceededError' && sweepKeys() > 0) {
    reply = (await hostCall(OP_SUBTLE, method, args, publicKey)) as Reply;
  }
  if (reply[0] === false) throw rebuildError(reply[1], reply[2]);
  return reply[1];
}

function keyOut(wire: unknown): unknown {
  if (Array.isArray(wire)) return mintKey(wire as KeyWire);
  const pair = wire as { publicKey: KeyWire; privateKey: KeyWire };
  return { publicKey: mintKey(pair.publicKey), privateKey: mintKey(pair.privateKey) };
}

/** An algorithm dictionary whose `public` member is a key (ECDH, X25519) goes by number. */
function derivation(algorithm: unknown): [unknown, number | null] {
  if (algorithm === null || typeof algorithm !== 'object' || !('public' in algorithm)) return [toData(algorithm), null];
  const { public: pub, ...rest } = algorithm as { public: unknown };
  return [toData(rest), keyArg(pub, 'algorithm.public')];
}

function copyOf(data: unknown): ArrayBuffer {
  return exactBuffer(toBytes(data).slice());
}

export class SubtleCrypto {
  async digest(algorithm: unknown, data: unknown): Promise<ArrayBuffer> {
    const h = hashName(algorithm);
    return (await hostCall(OP_DIGEST, h, copyOf(data))) as ArrayBuffer;
  }
  async encrypt(...args: unknown[]): Promise<ArrayBuffer> {
    return (await call('encrypt', [toData(args[0]), keyArg(args[1], 'key'), ...args.slice(2).map((a) => toData(a))])) as ArrayBuffer;
  }
  async decrypt(...args: unknown[]): Promise<ArrayBuffer> {
    return (await call('decrypt', [toData(args[0]), keyArg(args[1], 'key'), ...args.slice(2).map((a) => toData(a))])) as ArrayBuffer;
  }
  async sign(...args: unknown[]): Promise<ArrayBuffer> {
    return (await call('sign', [toData(args[0]), keyArg(args[1], 'key'), ...args.slice(2).map((a) => toData(a))])) as ArrayBuffer;
  }
  async verify(...args: unknown[]): Promise<boolean> {
    return (await call('verify', [toData(args[0]), keyArg(args[1], 'key'), ...args.slice(2).map((a) => toData(a))])) as boolean;
  }
  async generateKey(...args: unknown[]): Promise<unknown> {
    return keyOut(await call('generateKey', args.map((a) => toData(a))));
  }
  async importKey(...args: unknown[]): Promise<unknown> {
    return keyOut(await call('importKey', args.map((a) => toData(a))));
  }
  async exportKey(...args: unknown[]): Promise<unknown> {
    return call('exportKey', [toData(args[0]), keyArg(args[1], 'key'), ...args.slice(2).map((a) => toData(a))]);
  }
  async deriveBits(...args: unknown[]): Promise<ArrayBuffer> {
    const [alg, pub] = derivation(args[0]);
    return (await call('deriveBits', [alg, keyArg(args[1], 'baseKey'), ...args.slice(2).map((a) => toData(a))], pub)) as ArrayBuffer;
  }
  async deriveKey(...args: unknown[]): Promise<unknown> {
    const [alg, pub] = derivation(args[0]);
    return keyOut(await call('deriveKey', [alg, keyArg(args[1], 'baseKey'), ...args.slice(2).map((a) => toData(a))], pub));
  }
  async wrapKey(...args: unknown[]): Promise<ArrayBuffer> {
    return (await call('wrapKey', [toData(args[0]), keyArg(args[1], 'key'), keyArg(args[2], 'wrappingKey'), ...args.slice(3).map((a) => toData(a))])) as ArrayBuffer;
  }
  async unwrapKey(...args: unknown[]): Promise<unknown> {
    return keyOut(
      await call('unwrapKey', [toData(args[0]), toData(args[1]), keyArg(args[2], 'unwrappingKey'), ...args.slice(3).map((a) => toData(a))]),
    );
  }
  get [Symbol.toStringTag](): string {
    return 'SubtleCrypto';
  }
}

export const subtle = new SubtleCrypto();

export const crypto = { getRandomValues, randomUUID, subtle };
