/**
 * The layer's `publicEncrypt`/`privateDecrypt`/`privateEncrypt`/`publicDecrypt`,
 * `createECDH`, `createDiffieHellman`/`getDiffieHellman` and `X509Certificate`, over the host (node-host-asym.ts): keys and
 * certificates stay bytes on this side, each operation one call.
 */
import { Buffer } from './buffer.ts';
import { asKey, KeyObject, keyDer, makeAsymmetric } from './crypto-keys.ts';
import { ab, buf, host, OP_DH, OP_ECDH, OP_RSA, OP_X509 } from './host.ts';

type Bytes = string | ArrayBufferView | ArrayBuffer;
type Enc = string | undefined;
interface RsaOptions {
  key?: unknown;
  padding?: number;
  oaepHash?: string;
  oaepLabel?: Bytes;
}

function rsa(op: string, kind: 'private' | 'public') {
  return (key: unknown, data: Bytes): Buffer => {
    const o: RsaOptions = key !== null && typeof key === 'object' && !(key instanceof KeyObject) && !ArrayBuffer.isView(key) && 'key' in key ? (key as RsaOptions) : {};
    const k = asKey(key, kind);
    return buf(host(OP_RSA, op, keyDer(k), k.type, ab(data), o.padding ?? null, o.oaepHash ?? null, o.oaepLabel === undefined ? null : ab(o.oaepLabel)));
  };
}

export const publicEncrypt = rsa('publicEncrypt', 'public');
export const publicDecrypt = rsa('publicDecrypt', 'public');
export const privateEncrypt = rsa('privateEncrypt', 'private');
export const privateDecrypt = rsa('privateDecrypt', 'private');

function encoded(b: Buffer, enc: Enc): Buffer | string {
  return enc === undefined || enc === 'buffer' ? b : b.toString(enc as BufferEncoding);
}

function input(data: Bytes, enc: Enc): ArrayBuffer {
  return ab(data, typeof data === 'string' ? (enc ?? 'utf8') : undefined);
}

/** `crypto.createECDH(curve)`: the keys are raw bytes here; each step one host call. */
export class ECDH {
  readonly #curve: string;
  #private: ArrayBuffer | null = null;
  #public: ArrayBuffer | null = null;
  constructor(curve: string) {
    if (typeof curve !== 'string') throw Object.assign(new TypeError('The "curve" argument must be of type string'), { code: 'ERR_INVALID_ARG_TYPE' });
    // an unknown curve throws here, as in Node
    host(OP_ECDH, 'check', curve);
    this.#curve = curve;
  }
  generateKeys(enc?: Enc, format?: string): Buffer | string {
    [this.#private, this.#public] = host(OP_ECDH, 'generate', this.#curve) as [ArrayBuffer, ArrayBuffer];
    return this.getPublicKey(enc, format);
  }
  setPrivateKey(key: Bytes, enc?: Enc): this {
    const priv = input(key, enc);
    this.#public = host(OP_ECDH, 'public', this.#curve, priv) as ArrayBuffer;
    this.#private = priv;
    return this;
  }
  getPrivateKey(enc?: Enc): Buffer | string {
    if (this.#private === null) throw Object.assign(new Error('Failed to get ECDH private key'), { code: 'ERR_CRYPTO_INVALID_STATE' });
    return encoded(Buffer.from(this.#private.slice(0)), enc);
  }
  getPublicKey(enc?: Enc, format?: string): Buffer | string {
    if (this.#public === null) throw Object.assign(new Error('Failed to get ECDH public key'), { code: 'ERR_CRYPTO_INVALID_STATE' });
    const key = format === undefined || format === 'uncompressed' ? this.#public.slice(0) : (host(OP_ECDH, 'convert', this.#curve, this.#public, format) as ArrayBuffer);
    return encoded(Buffer.from(key), enc);
  }
  computeSecret(other: Bytes, inputEnc?: Enc, outputEnc?: Enc): Buffer | string {
    if (this.#private === null) throw Object.assign(new Error('Failed to compute ECDH key: no private key'), { code: 'ERR_CRYPTO_INVALID_STATE' });
    return encoded(buf(host(OP_ECDH, 'secret', this.#curve, this.#private, input(other, inputEnc))), outputEnc);
  }
  static convertKey(key: Bytes, curve: string, inputEnc?: Enc, outputEnc?: Enc, format?: string): Buffer | string {
    return encoded(buf(host(OP_ECDH, 'convert', curve, input(key, inputEnc), format ?? 'uncompressed')), outputEnc);
  }
}

export const createECDH = (curve: string): ECDH => new ECDH(curve);

/**
 * `crypto.createDiffieHellman(prime, generator)` (a prime is given: generating one takes
 * seconds, refused) and `getDiffieHellman(group)`; keys kept as bytes here.
 */
export class DiffieHellman {
  readonly #group: string | null;
  #prime: ArrayBuffer;
  #generator: ArrayBuffer;
  #private: ArrayBuffer | null = null;
  #public: ArrayBuffer | null = null;
  #verifyError = 0;
  constructor(prime: Bytes | number, primeEncoding?: Enc | number | Bytes, generator?: Bytes | number, generatorEncoding?: Enc, group: string | null = null) {
    this.#group = group;
    if (group !== null) {
      this.#prime = new ArrayBuffer(0);
      this.#generator = new ArrayBuffer(0);
      return;
    }
    if (typeof prime === 'number') throw Object.assign(new Error('createDiffieHellman(primeLength) is not available in functions (generating a prime takes seconds): pass a prime, or use getDiffieHellman(\'modp14\')'), { code: 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM' });
    // (prime, generator), (prime, primeEncoding), (prime, primeEncoding, generator, generatorEncoding)
    let gen: Bytes | number = 2;
    let genEnc: Enc;
    let primeEnc: Enc;
    if (typeof primeEncoding === 'string' && Buffer.isEncoding(primeEncoding)) {
      primeEnc = primeEncoding;
      if (generator !== undefined) gen = generator;
      genEnc = generatorEncoding;
    } else if (primeEncoding !== undefined) {
      gen = primeEncoding as Bytes | number;
      genEnc = typeof generator === 'string' ? generator : undefined;
    }
    this.#prime = input(prime, primeEnc);
    this.#generator = typeof gen === 'number' ? new Uint8Array([gen]).buffer : input(gen, genEnc);
  }
  #params(): [string | null, ArrayBuffer | null, ArrayBuffer | null] {
    return this.#group !== null ? [this.#group, null, null] : [null, this.#prime, this.#generator];
  }
  generateKeys(enc?: Enc): Buffer | string {
    const [p, g, priv, pub, verifyError] = host(OP_DH, ...this.#params(), this.#private, null) as [ArrayBuffer, ArrayBuffer, ArrayBuffer, ArrayBuffer, number];
    [this.#prime, this.#generator, this.#private, this.#public, this.#verifyError] = [p, g, priv, pub, verifyError];
    return this.getPublicKey(enc);
  }
  computeSecret(other: Bytes, inputEnc?: Enc, outputEnc?: Enc): Buffer | string {
    if (this.#private === null) throw Object.assign(new Error('Failed to compute DH secret: no private key'), { code: 'ERR_CRYPTO_INVALID_STATE' });
    return encoded(buf(host(OP_DH, ...this.#params(), this.#private, input(other, inputEnc))), outputEnc);
  }
  #get(which: ArrayBuffer | null, what: string, enc: Enc): Buffer | string {
    if (which === null || which.byteLength === 0) throw Object.assign(new Error(`No ${what} - did you forget to generate one?`), { code: 'ERR_CRYPTO_INVALID_STATE' });
    return encoded(Buffer.from(which.slice(0)), enc);
  }
  getPrime(enc?: Enc): Buffer | string {
    if (this.#prime.byteLength === 0) this.generateKeys();
    return this.#get(this.#prime, 'prime', enc);
  }
  getGenerator(enc?: Enc): Buffer | string {
    if (this.#generator.byteLength === 0) this.generateKeys();
    return this.#get(this.#generator, 'generator', enc);
  }
  getPublicKey(enc?: Enc): Buffer | string {
    return this.#get(this.#public, 'public key', enc);
  }
  getPrivateKey(enc?: Enc): Buffer | string {
    return this.#get(this.#private, 'private key', enc);
  }
  setPublicKey(key: Bytes, enc?: Enc): this {
    if (this.#group !== null) throw new TypeError('setPublicKey is not available on a DiffieHellmanGroup');
    this.#public = input(key, enc);
    return this;
  }
  setPrivateKey(key: Bytes, enc?: Enc): this {
    if (this.#group !== null) throw new TypeError('setPrivateKey is not available on a DiffieHellmanGroup');
    this.#private = input(key, enc);
    return this;
  }
  get verifyError(): number {
    return this.#verifyError;
  }
}

export const createDiffieHellman = (prime: Bytes | number, primeEncoding?: Enc | number | Bytes, generator?: Bytes | number, generatorEncoding?: Enc): DiffieHellman =>
  new DiffieHellman(prime, primeEncoding, generator, generatorEncoding);
export const getDiffieHellman = (group: string): DiffieHellman => {
  if (typeof group !== 'string' || !/^modp1[4-8]$/.test(group)) throw Object.assign(new Error('Unknown DH group'), { code: 'ERR_CRYPTO_UNKNOWN_DH_GROUP' });
  return new DiffieHellman(0, undefined, undefined, undefined, group);
};
export const createDiffieHellmanGroup = getDiffieHellman;

interface Parsed {
  subject: string;
  issuer: string;
  subjectAltName: string | null;
  infoAccess: string | null;
  validFrom: string;
  validTo: string;
  serialNumber: string;
  fingerprint: string;
  fingerprint256: string;
  fingerprint512: string;
  keyUsage: string[] | null;
  ca: boolean;
  raw: ArrayBuffer;
  pem: string;
  publicKey: ArrayBuffer;
  publicKeyType: string | null;
  publicKeyDetails: Record<string, unknown>;
}

const parsedOf = new WeakMap<X509Certificate, Parsed>();

/** `new crypto.X509Certificate(pem or der)`: parsed once by the host; its facts kept here as plain data. */
export class X509Certificate {
  constructor(cert: Bytes) {
    const data = typeof cert === 'string' ? cert : ab(cert);
    parsedOf.set(this, host(OP_X509, 'parse', data) as Parsed);
  }
  get #p(): Parsed {
    return parsedOf.get(this)!;
  }
  get subject(): string { return this.#p.subject; }
  get issuer(): string { return this.#p.issuer; }
  get subjectAltName(): string | undefined { return this.#p.subjectAltName ?? undefined; }
  get infoAccess(): string | undefined { return this.#p.infoAccess ?? undefined; }
  get validFrom(): string { return this.#p.validFrom; }
  get validTo(): string { return this.#p.validTo; }
  get validFromDate(): Date { return new Date(this.#p.validFrom); }
  get validToDate(): Date { return new Date(this.#p.validTo); }
  get serialNumber(): string { return this.#p.serialNumber; }
  get fingerprint(): string { return this.#p.fingerprint; }
  get fingerprint256(): string { return this.#p.fingerprint256; }
  get fingerprint512(): string { return this.#p.fingerprint512; }
  get keyUsage(): string[] | undefined { return this.#p.keyUsage ?? undefined; }
  get ca(): boolean { return this.#p.ca; }
  get raw(): Buffer { return Buffer.from(this.#p.raw.slice(0)); }
  get publicKey(): KeyObject {
    const p = this.#p;
    return makeAsymmetric(p.publicKey.slice(0), 'public', p.publicKeyType, { ...p.publicKeyDetails });
  }
  checkHost(name: string): string | undefined {
    return (host(OP_X509, 'checkHost', this.#p.raw, name) as string | null) ?? undefined;
  }
  checkEmail(email: string): string | undefined {
    return (host(OP_X509, 'checkEmail', this.#p.raw, email) as string | null) ?? undefined;
  }
  checkIP(ip: string): string | undefined {
    return (host(OP_X509, 'checkIP', this.#p.raw, ip) as string | null) ?? undefined;
  }
  checkIssued(other: X509Certificate): boolean {
    if (!(other instanceof X509Certificate)) throw Object.assign(new TypeError('The "otherCert" argument must be an instance of X509Certificate'), { code: 'ERR_INVALID_ARG_TYPE' });
    return host(OP_X509, 'checkIssued', this.#p.raw, parsedOf.get(other)!.raw) as boolean;
  }
  verify(publicKey: KeyObject): boolean {
    if (!(publicKey instanceof KeyObject) || publicKey.type !== 'public') throw Object.assign(new TypeError('The "publicKey" argument must be a public KeyObject'), { code: 'ERR_INVALID_ARG_TYPE' });
    return host(OP_X509, 'verify', this.#p.raw, keyDer(publicKey)) as boolean;
  }
  toString(): string {
    return this.#p.pem;
  }
  toJSON(): string {
    return this.#p.pem;
  }
  toLegacyObject(): Record<string, unknown> {
    const p = this.#p;
    return { subject: p.subject, issuer: p.issuer, subjectaltname: p.subjectAltName ?? undefined, valid_from: p.validFrom, valid_to: p.validTo, serialNumber: p.serialNumber, fingerprint: p.fingerprint, fingerprint256: p.fingerprint256, fingerprint512: p.fingerprint512, raw: this.raw };
  }
}
