/**
 * The host side of the Node layer's RSA encryption (publicEncrypt and its kin), ECDH,
 * Diffie-Hellman (given primes and the named groups) and X509Certificate: reached through nodeHostCall (node-host.ts) with its checks. Keys cross
 * as DER bytes, ECDH keys as raw bytes, certificates as PEM or DER; answers are bytes,
 * strings, numbers, booleans and plain objects of them.
 */
import { createDiffieHellman, createECDH, createPrivateKey, getDiffieHellman, createPublicKey, ECDH, getCurves, privateDecrypt, privateEncrypt, publicDecrypt, publicEncrypt, X509Certificate, type KeyObject } from 'node:crypto';
import { OP_DH, OP_ECDH, OP_RSA, OP_X509 } from './node/host-ops.ts';

const CURVES = new Set(getCurves());
const MAX_KEY_BYTES = 64 * 1024;
const MAX_CERT_BYTES = 64 * 1024;
/** RSA encryption takes at most one block: the key's size (≤ 4096 bits) in bytes. */
const MAX_RSA_DATA = 512;

function fail(message: string): never {
  throw new Error(message);
}

function bytes(v: unknown, what: string, max: number): Buffer {
  if (!(v instanceof ArrayBuffer)) fail(`${what} must be bytes`);
  if (v.byteLength > max) fail(`${what} is ${v.byteLength} bytes; the limit is ${max}`);
  return Buffer.from(v);
}

function out(b: Buffer | Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(b.byteLength);
  copy.set(b);
  return copy.buffer;
}

function keyOf(der: unknown, kind: unknown): KeyObject {
  const data = bytes(der, 'key', MAX_KEY_BYTES);
  const key = kind === 'private' ? createPrivateKey({ key: data, format: 'der', type: 'pkcs8' }) : kind === 'public' ? createPublicKey({ key: data, format: 'der', type: 'spki' }) : fail('key kind must be private or public');
  if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'rsa-pss') fail(`an RSA key is needed, not ${String(key.asymmetricKeyType)}`);
  if ((key.asymmetricKeyDetails?.modulusLength ?? 0) > 4096) fail('RSA keys are limited to 4096 bits');
  return key;
}

const RSA_OPS = { publicEncrypt, privateDecrypt, privateEncrypt, publicDecrypt } as const;
const RSA_KEY_KIND: Record<keyof typeof RSA_OPS, 'public' | 'private'> = { publicEncrypt: 'public', publicDecrypt: 'public', privateEncrypt: 'private', privateDecrypt: 'private' };

/** (operation, keyDer, keyKind, data, padding, oaepHash, oaepLabel): one RSA block in or out. */
function rsa(op: unknown, der: unknown, kind: unknown, data: unknown, padding: unknown, oaepHash: unknown, oaepLabel: unknown): ArrayBuffer {
  if (typeof op !== 'string' || !Object.hasOwn(RSA_OPS, op)) fail('unknown RSA operation');
  const name = op as keyof typeof RSA_OPS;
  if (kind !== 'private' && kind !== 'public') fail('key kind must be private or public');
  const input = bytes(data, 'data', MAX_RSA_DATA);
  // publicEncrypt/publicDecrypt take a private key too (its public half), as in Node
  const key = keyOf(der, RSA_KEY_KIND[name] === 'public' && kind === 'private' ? 'private' : RSA_KEY_KIND[name]);
  const options = {
    key,
    ...(typeof padding === 'number' ? { padding: Number.isInteger(padding) && padding >= 1 && padding <= 6 ? padding : fail('padding must be an RSA padding constant') } : {}),
    ...(typeof oaepHash === 'string' ? { oaepHash: oaepHash.length <= 32 ? oaepHash : fail('oaepHash must be a hash name') } : {}),
    ...(oaepLabel instanceof ArrayBuffer ? { oaepLabel: bytes(oaepLabel, 'oaepLabel', 1024) } : {}),
  };
  return out(RSA_OPS[name](options, input));
}

/** ('check', curve) → true for a curve the host has; ('generate', curve) → [private, public]; ('public', curve, private) → public; ('secret', curve, private, peer) → secret; ('convert', curve, key, format) → key. Public keys uncompressed unless converted. */
function ecdh(mode: unknown, curve: unknown, a: unknown, b: unknown): unknown {
  if (typeof curve !== 'string' || !CURVES.has(curve)) fail(`Invalid EC curve name`);
  switch (mode) {
    case 'check':
      return true;
    case 'generate': {
      const e = createECDH(curve);
      e.generateKeys();
      return [out(e.getPrivateKey()), out(e.getPublicKey())];
    }
    case 'public': {
      const e = createECDH(curve);
      e.setPrivateKey(bytes(a, 'private key', 1024));
      return out(e.getPublicKey());
    }
    case 'secret': {
      const e = createECDH(curve);
      e.setPrivateKey(bytes(a, 'private key', 1024));
      return out(e.computeSecret(bytes(b, 'public key', 1024)));
    }
    case 'convert':
      if (b !== 'compressed' && b !== 'uncompressed' && b !== 'hybrid') fail('format must be compressed, uncompressed or hybrid');
      return out(ECDH.convertKey(bytes(a, 'key', 1024), curve, undefined, undefined, b) as Buffer);
    default:
      return fail('unknown ECDH operation');
  }
}

const DH_GROUPS = new Set(['modp14', 'modp15', 'modp16', 'modp17', 'modp18']);
/** A prime of up to 8192 bits; primes are given, never generated here (that takes seconds). */
const MAX_DH_BYTES = 1024;

/**
 * (group | null, prime, generator, private | null, peer public | null): a named group or a
 * given prime and generator; with a private key its public one is computed, else a pair
 * is generated. Without a peer → [prime, generator, private, public, verifyError]; with one
 * → the shared secret.
 */
function dh(group: unknown, prime: unknown, generator: unknown, priv: unknown, peer: unknown): unknown {
  let p: Buffer;
  let g: Buffer;
  if (group !== null) {
    if (typeof group !== 'string' || !DH_GROUPS.has(group)) fail(`Unknown DH group (one of ${[...DH_GROUPS].join(', ')})`);
    const named = getDiffieHellman(group);
    if (priv === null && peer === null) {
      // a new pair in a named group: no parameter check to pay
      named.generateKeys();
      return [out(named.getPrime()), out(named.getGenerator()), out(named.getPrivateKey()), out(named.getPublicKey()), named.verifyError];
    }
    [p, g] = [named.getPrime(), named.getGenerator()];
  } else {
    [p, g] = [bytes(prime, 'prime', MAX_DH_BYTES), bytes(generator, 'generator', MAX_DH_BYTES)];
  }
  // a group's parameters as a plain DH object, so a private key the isolate holds can be set
  // (this checks the parameters on this thread, longer for larger primes)
  const d = createDiffieHellman(p, g);
  if (priv !== null) d.setPrivateKey(bytes(priv, 'private key', MAX_DH_BYTES));
  d.generateKeys();
  if (peer !== null) return out(d.computeSecret(bytes(peer, 'public key', MAX_DH_BYTES)));
  return [out(d.getPrime()), out(d.getGenerator()), out(d.getPrivateKey()), out(d.getPublicKey()), d.verifyError];
}

/** What X509Certificate shows, as plain data; the certificate as PEM or DER. */
function x509(mode: unknown, cert: unknown, a: unknown): unknown {
  const data = typeof cert === 'string' ? (cert.length <= MAX_CERT_BYTES ? cert : fail('the certificate is too large')) : bytes(cert, 'certificate', MAX_CERT_BYTES);
  const c = new X509Certificate(data);
  switch (mode) {
    case 'parse': {
      const key = c.publicKey;
      const details: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(key.asymmetricKeyDetails ?? {})) details[k] = typeof v === 'bigint' ? Number(v) : v;
      return {
        subject: c.subject,
        issuer: c.issuer,
        subjectAltName: c.subjectAltName ?? null,
        infoAccess: c.infoAccess ?? null,
        validFrom: c.validFrom,
        validTo: c.validTo,
        serialNumber: c.serialNumber,
        fingerprint: c.fingerprint,
        fingerprint256: c.fingerprint256,
        fingerprint512: c.fingerprint512,
        keyUsage: c.keyUsage ?? null,
        ca: c.ca,
        raw: out(c.raw),
        pem: c.toString(),
        publicKey: out(key.export({ format: 'der', type: 'spki' })),
        publicKeyType: key.asymmetricKeyType ?? null,
        publicKeyDetails: details,
      };
    }
    case 'checkHost':
      return c.checkHost(typeof a === 'string' && a.length <= 253 ? a : fail('the name must be a string')) ?? null;
    case 'checkEmail':
      return c.checkEmail(typeof a === 'string' && a.length <= 320 ? a : fail('the address must be a string')) ?? null;
    case 'checkIP':
      return c.checkIP(typeof a === 'string' && a.length <= 64 ? a : fail('the address must be a string')) ?? null;
    case 'verify':
      return c.verify(createPublicKey({ key: bytes(a, 'public key', MAX_KEY_BYTES), format: 'der', type: 'spki' }));
    case 'checkIssued':
      return c.checkIssued(new X509Certificate(typeof a === 'string' ? (a.length <= MAX_CERT_BYTES ? a : fail('the certificate is too large')) : bytes(a, 'certificate', MAX_CERT_BYTES)));
    default:
      return fail('unknown X509Certificate operation');
  }
}

/** One OP_RSA, OP_ECDH or OP_X509 call (nodeHostCall sends them here). */
export function asymmetricCall(op: number, a: unknown, b: unknown, c: unknown, d: unknown, e: unknown, f: unknown, g: unknown): unknown {
  if (op === OP_RSA) return rsa(a, b, c, d, e, f, g);
  if (op === OP_ECDH) return ecdh(a, b, c, d);
  if (op === OP_X509) return x509(a, b, c);
  if (op === OP_DH) return dh(a, b, c, d, e);
  return fail('unknown host operation');
}
