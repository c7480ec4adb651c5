/**
 * KeyObject for the layer's crypto: the isolate holds a key as bytes (PKCS#8 DER for
 * private keys, SPKI DER for public ones, the raw secret for secret keys); the host parses
 * and uses them per call (node-host.ts), so no host key object exists on this side.
 */
import { Buffer } from './buffer.ts';
import { ab, buf, host, OP_EXPORT, OP_GENERATE, OP_KEY } from './host.ts';

const secretOf = new WeakMap<KeyObject, Uint8Array>();
const derOf = new WeakMap<KeyObject, ArrayBuffer>();

export class KeyObject {
  readonly type: 'secret' | 'private' | 'public';
  readonly asymmetricKeyType: string | undefined;
  readonly asymmetricKeyDetails: Record<string, unknown> | undefined;
  constructor(type: 'secret' | 'private' | 'public', asymmetricKeyType?: string, details?: Record<string, unknown>) {
    this.type = type;
    this.asymmetricKeyType = asymmetricKeyType;
    this.asymmetricKeyDetails = details;
  }
  get symmetricKeySize(): number | undefined {
    return secretOf.get(this)?.byteLength;
  }
  get [Symbol.toStringTag](): string {
    return 'KeyObject';
  }
  export(options?: { format?: string; type?: string; cipher?: string; passphrase?: string | Uint8Array }): string | Buffer | Record<string, unknown> {
    if (this.type === 'secret') {
      const secret = Buffer.from(secretOf.get(this)!);
      if (options?.format === 'jwk') return { kty: 'oct', k: secret.toString('base64url') };
      return secret;
    }
    const result = host(OP_EXPORT, derOf.get(this), this.type, options?.format ?? 'pem', options?.type ?? null, options?.cipher ?? null,
      options?.passphrase === undefined ? null : typeof options.passphrase === 'string' ? options.passphrase : ab(options.passphrase));
    if (options?.format === 'jwk') return JSON.parse(result as string) as Record<string, unknown>;
    return typeof result === 'string' ? result : buf(result);
  }
  equals(other: KeyObject): boolean {
    if (!(other instanceof KeyObject) || other.type !== this.type) return false;
    const a = this.type === 'secret' ? secretOf.get(this)! : new Uint8Array(derOf.get(this)!);
    const b = other.type === 'secret' ? secretOf.get(other)! : new Uint8Array(derOf.get(other)!);
    return a.byteLength === b.byteLength && a.every((x, i) => x === b[i]);
  }
  toCryptoKey(): never {
    throw new Error('KeyObject.toCryptoKey is not available; import the key with crypto.subtle.importKey');
  }
  static from(_key: unknown): never {
    throw new Error('KeyObject.from(CryptoKey) is not available: export the CryptoKey and create the KeyObject from its bytes');
  }
}

export function keyDer(key: KeyObject): ArrayBuffer {
  const der = derOf.get(key);
  if (der === undefined) throw new TypeError(`Invalid key object type ${key.type}, expected private or public`);
  return der;
}

export function secretBytes(key: KeyObject): Uint8Array {
  const s = secretOf.get(key);
  if (s === undefined) throw new TypeError(`Invalid key object type ${key.type}, expected secret`);
  return s;
}

export function makeAsymmetric(der: ArrayBuffer, type: 'private' | 'public', asymmetricKeyType: string | null, details: Record<string, unknown>): KeyObject {
  const k = new KeyObject(type, asymmetricKeyType ?? undefined, details);
  derOf.set(k, der);
  return k;
}

export function createSecretKey(key: unknown, encoding?: string): KeyObject {
  const k = new KeyObject('secret');
  secretOf.set(k, new Uint8Array(ab(key, encoding)));
  return k;
}

type KeyInput = string | Uint8Array | KeyObject | { key: unknown; format?: string; type?: string; passphrase?: string | Uint8Array; encoding?: string };

function importAs(kind: 'private' | 'public', input: KeyInput): KeyObject {
  if (input instanceof KeyObject) {
    if (kind === 'public' && input.type === 'private') {
      const [der, type, akt, details] = host(OP_KEY, 'public', keyDer(input), 'der', 'pkcs8', null) as [ArrayBuffer, 'public', string | null, Record<string, unknown>];
      return makeAsymmetric(der, type, akt, details);
    }
    if (input.type !== kind && !(kind === 'public' && input.type === 'public')) throw new TypeError(`Invalid key object type ${input.type}, expected ${kind}`);
    return input;
  }
  const o = typeof input === 'string' || input instanceof Uint8Array ? { key: input } : input;
  if (o.key instanceof KeyObject) return importAs(kind, o.key);
  const format = o.format ?? 'pem';
  const data = format === 'jwk' ? JSON.stringify(o.key) : typeof o.key === 'string' ? (format === 'der' ? ab(o.key, o.encoding) : o.key) : ab(o.key);
  const passphrase = o.passphrase === undefined ? null : typeof o.passphrase === 'string' ? o.passphrase : ab(o.passphrase);
  const [der, type, akt, details] = host(OP_KEY, kind, data, format, o.type ?? null, passphrase) as [ArrayBuffer, 'private' | 'public', string | null, Record<string, unknown>];
  return makeAsymmetric(der, type, akt, details);
}

export const createPrivateKey = (key: KeyInput): KeyObject => importAs('private', key);
export const createPublicKey = (key: KeyInput): KeyObject => importAs('public', key);

/** A key argument of sign/verify/publicEncrypt: a KeyObject or anything createPrivateKey/createPublicKey takes. */
export function asKey(input: unknown, kind: 'private' | 'public'): KeyObject {
  if (input instanceof KeyObject) return input.type === 'public' || kind === 'private' ? input : input;
  return importAs(kind, input as KeyInput);
}

interface Encoding {
  format?: string;
  type?: string;
  cipher?: string;
  passphrase?: string;
}

export function generateKeyPairSync(type: string, options: Record<string, unknown> = {}): { privateKey: unknown; publicKey: unknown } {
  const plain: Record<string, unknown> = {};
  for (const k of ['modulusLength', 'publicExponent', 'namedCurve']) if (options[k] !== undefined) plain[k] = options[k];
  const [priv, pub, akt, details] = host(OP_GENERATE, type, plain) as [ArrayBuffer, ArrayBuffer, string | null, Record<string, unknown>];
  const privateKey = makeAsymmetric(priv, 'private', akt, details);
  const publicKey = makeAsymmetric(pub, 'public', akt, details);
  const enc = (key: KeyObject, e: unknown) => (e === undefined ? key : key.export(e as Encoding));
  return { privateKey: enc(privateKey, options.privateKeyEncoding), publicKey: enc(publicKey, options.publicKeyEncoding) };
}

export function generateKeyPair(type: string, options: Record<string, unknown>, cb: (error: Error | null, publicKey?: unknown, privateKey?: unknown) => void): void {
  let pair: { privateKey: unknown; publicKey: unknown };
  try {
    pair = generateKeyPairSync(type, options);
  } catch (error) {
    queueMicrotask(() => cb(error as Error));
    return;
  }
  queueMicrotask(() => cb(null, pair.publicKey, pair.privateKey));
}
