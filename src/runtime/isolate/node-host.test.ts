/**
 * The Node layer's host call (node-host.ts) as an attacker in the isolate would use it:
 * wrong types, oversized inputs, costly parameters, decompression bombs. Every one is a
 * plain Error before any work is done, and results are only bytes, strings, numbers and
 * arrays of them.
 */
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync as nodeGenerate, pbkdf2Sync, scryptSync } from 'node:crypto';
import { MAX_OPEN_DIGESTS, NodeDigests } from './node-digests.ts';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import {
  MAX_INPUT_BYTES, MAX_OUTPUT_BYTES, nodeHostCall, nodeHostWork, OP_CIPHER, OP_DH, OP_ECDH, OP_EXPORT, OP_GENERATE, OP_HASH, OP_HMAC, OP_KEY, OP_PBKDF2, OP_RSA, OP_SCRYPT, OP_SIGN, OP_X509, OP_ZLIB,
} from './node-host.ts';

const bytes = (s: string) => new TextEncoder().encode(s).buffer as ArrayBuffer;

function throwsPlain(f: () => unknown, pattern: RegExp): void {
  assert.throws(f, (e: unknown) => e instanceof Error && pattern.test(e.message), String(pattern));
}

describe('Node layer host call', () => {
  it('refuses unknown operations and arguments of the wrong kind', () => {
    throwsPlain(() => nodeHostCall(99), /unknown host operation/);
    throwsPlain(() => nodeHostCall('1'), /unknown host operation/);
    throwsPlain(() => nodeHostCall(OP_HASH, 'sha256', 'not bytes'), /must be bytes/);
    const sneaky = { get byteLength() { throw new Error('getter ran'); } };
    throwsPlain(() => nodeHostCall(OP_HASH, 'sha256', sneaky), /must be bytes/);
    throwsPlain(() => nodeHostCall(OP_HASH, 'no-such-hash', bytes('x')), /Digest method not supported/);
    throwsPlain(() => nodeHostCall(OP_HASH, { toString: () => 'sha256' }, bytes('x')), /not supported/);
    throwsPlain(() => nodeHostCall(OP_CIPHER, 'rot13', bytes('k'), null, bytes('x'), false, null, null, null), /Unknown cipher/);
    throwsPlain(() => nodeHostCall(OP_ZLIB, 'gzip; rm -rf', bytes('x'), {}), /unknown zlib operation/);
    throwsPlain(() => nodeHostCall(OP_ZLIB, { toString: () => 'gzip' }, bytes('x'), {}), /must be a short string/);
    throwsPlain(() => nodeHostCall(OP_KEY, 'secret', 'x', 'pem', null, null), /private or public/);
    throwsPlain(() => nodeHostCall(OP_EXPORT, bytes('x'), 'host', 'pem', null, null, null), /private or public/);
  });

  it('bounds what one call may take in and make', () => {
    throwsPlain(() => nodeHostCall(OP_HASH, 'sha256', new ArrayBuffer(MAX_INPUT_BYTES + 1)), /limit is/);
    throwsPlain(() => nodeHostCall(OP_HMAC, 'sha256', new ArrayBuffer(2 * 1024 * 1024), bytes('x')), /limit is/);
    throwsPlain(() => nodeHostCall(OP_PBKDF2, bytes('pw'), bytes('s'), 10_000_000, 32, 'sha256'), /iterations must be/);
    throwsPlain(() => nodeHostCall(OP_PBKDF2, bytes('pw'), bytes('s'), 1, 1_000_000, 'sha256'), /keylen must be/);
    throwsPlain(() => nodeHostCall(OP_SCRYPT, bytes('pw'), bytes('s'), 32, 2 ** 20, 8, 1), /scrypt parameters need/);
    throwsPlain(() => nodeHostCall(OP_SCRYPT, bytes('pw'), bytes('s'), 32, 1024, 8, 1000), /p must be/);
    throwsPlain(() => nodeHostCall(OP_GENERATE, 'rsa', { modulusLength: 8192 }), /modulusLength must be/);
    throwsPlain(() => nodeHostCall(OP_GENERATE, 'dsa', { modulusLength: 1024 }), /cannot be generated/);
    throwsPlain(() => nodeHostCall(OP_ZLIB, 'gzip', bytes('x'), { level: 99 }), /level must be/);
  });

  it('a decompression bomb stops at the output limit instead of filling the host', () => {
    const bomb = gzipSync(Buffer.alloc(MAX_OUTPUT_BYTES + 1024 * 1024));
    assert.ok(bomb.length < 100_000);
    const input = bomb.buffer.slice(bomb.byteOffset, bomb.byteOffset + bomb.byteLength);
    assert.throws(() => nodeHostCall(OP_ZLIB, 'gunzip', input, {}), /Cannot create a Buffer larger|output|buffer/i);
  });

  it('gives back only bytes, strings, booleans and arrays of them', () => {
    const isPlain = (v: unknown): boolean =>
      v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v instanceof ArrayBuffer ||
      (Array.isArray(v) && v.every(isPlain)) ||
      (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype && Object.values(v as object).every(isPlain));
    const [priv, pub] = nodeHostCall(OP_GENERATE, 'ed25519', {}) as [ArrayBuffer, ArrayBuffer];
    const results = [
      nodeHostCall(OP_HASH, 'sha256', bytes('x')),
      nodeHostCall(OP_GENERATE, 'ec', { namedCurve: 'prime256v1' }),
      nodeHostCall(OP_KEY, 'public', priv, 'der', 'pkcs8', null),
      nodeHostCall(OP_SIGN, null, bytes('m'), priv, null, null, null),
      nodeHostCall(OP_EXPORT, pub, 'public', 'jwk', null, null, null),
      nodeHostCall(OP_EXPORT, priv, 'private', 'pem', null, null, null),
      nodeHostCall(OP_CIPHER, 'aes-128-gcm', new ArrayBuffer(16), new ArrayBuffer(12), bytes('x'), false, null, null, null),
      nodeHostCall(OP_ZLIB, 'deflate', bytes('x'), {}),
    ];
    for (const r of results) assert.ok(isPlain(r), `not plain: ${Object.prototype.toString.call(r)}`);
  });

  it('RSA encryption, ECDH, Diffie-Hellman and X509Certificate calls refuse forged input before any work', () => {
    const ec = nodeGenerate('ec', { namedCurve: 'P-256' });
    const ecDer = ec.privateKey.export({ format: 'der', type: 'pkcs8' });
    const ecPrivate = ecDer.buffer.slice(ecDer.byteOffset, ecDer.byteOffset + ecDer.byteLength) as ArrayBuffer;
    throwsPlain(() => nodeHostCall(OP_RSA, 'constructor', new ArrayBuffer(0), 'public', bytes('x'), null, null, null), /unknown RSA operation/);
    throwsPlain(() => nodeHostCall(OP_RSA, { toString: () => 'publicEncrypt' }, new ArrayBuffer(0), 'public', bytes('x'), null, null, null), /unknown RSA operation/);
    throwsPlain(() => nodeHostCall(OP_RSA, 'privateDecrypt', ecPrivate, 'private', bytes('x'), null, null, null), /an RSA key is needed/);
    throwsPlain(() => nodeHostCall(OP_RSA, 'publicEncrypt', 'pem text', 'public', bytes('x'), null, null, null), /key must be bytes/);
    throwsPlain(() => nodeHostCall(OP_RSA, 'publicEncrypt', ecPrivate, 'host', bytes('x'), null, null, null), /private or public/);
    throwsPlain(() => nodeHostCall(OP_RSA, 'publicEncrypt', ecPrivate, 'public', new ArrayBuffer(600), null, null, null), /limit is 512/);
    throwsPlain(() => nodeHostCall(OP_ECDH, 'generate', { toString: () => 'prime256v1' }), /Invalid EC curve/);
    throwsPlain(() => nodeHostCall(OP_ECDH, 'generate', 'nope'), /Invalid EC curve/);
    throwsPlain(() => nodeHostCall(OP_ECDH, 'secret', 'prime256v1', new ArrayBuffer(4096), bytes('x')), /limit is 1024/);
    throwsPlain(() => nodeHostCall(OP_ECDH, 'convert', 'prime256v1', bytes('x'), 'sideways'), /format must be/);
    throwsPlain(() => nodeHostCall(OP_ECDH, '__proto__', 'prime256v1'), /unknown ECDH operation/);
    throwsPlain(() => nodeHostCall(OP_X509, 'parse', new ArrayBuffer(100_000)), /limit is/);
    throwsPlain(() => nodeHostCall(OP_X509, 'parse', { toString: () => '-----BEGIN CERTIFICATE-----' }), /must be bytes/);
    throwsPlain(() => nodeHostCall(OP_X509, 'parse', 'x'.repeat(70_000)), /too large/);
    assert.throws(() => nodeHostCall(OP_X509, 'parse', 'not a certificate'));
    throwsPlain(() => nodeHostCall(OP_DH, 'modp2', null, null, null, null), /Unknown DH group/);
    throwsPlain(() => nodeHostCall(OP_DH, { toString: () => 'modp14' }, null, null, null, null), /Unknown DH group/);
    throwsPlain(() => nodeHostCall(OP_DH, null, new ArrayBuffer(2048), bytes('\u0002'), null, null), /prime is 2048 bytes; the limit is 1024/);
    throwsPlain(() => nodeHostCall(OP_DH, null, 'ff', bytes('\u0002'), null, null), /prime must be bytes/);
    throwsPlain(() => nodeHostCall(OP_DH, 'modp14', null, null, 'not bytes', null), /private key must be bytes/);
  });

  it('the streaming digests’ store checks every call, caps what is open, and ends with its instance', () => {
    const store = new NodeDigests();
    throwsPlain(() => store.call('hash', 'no-such-hash', null, null), /Digest method not supported/);
    throwsPlain(() => store.call('hash', { toString: () => 'sha256' }, null, null), /not supported/);
    throwsPlain(() => store.call('hmac', 'sha256', 'key text', null), /key must be bytes/);
    throwsPlain(() => store.call('update', 999, bytes('x'), null), /not open/);
    throwsPlain(() => store.call('update', 1.5, bytes('x'), null), /digest must be an integer/);
    throwsPlain(() => store.call('constructor', 1, null, null), /unknown digest operation/);
    const id = store.call('hash', 'sha256', null, null) as number;
    throwsPlain(() => store.call('update', id, new ArrayBuffer(MAX_INPUT_BYTES + 1), null), /limit is/);
    store.call('update', id, bytes('hello '), null);
    const twin = store.call('copy', id, null, null) as number;
    store.call('update', id, bytes('world'), null);
    assert.deepEqual(Buffer.from(store.call('digest', id, null, null) as ArrayBuffer), createHash('sha256').update('hello world').digest());
    assert.deepEqual(Buffer.from(store.call('digest', twin, null, null) as ArrayBuffer), createHash('sha256').update('hello ').digest());
    throwsPlain(() => store.call('digest', id, null, null), /not open/);
    const hmac = store.call('hmac', 'sha256', bytes('k'), null) as number;
    throwsPlain(() => store.call('copy', hmac, null, null), /cannot be copied/);
    store.call('free', hmac, null, null);
    for (let i = 0; i < MAX_OPEN_DIGESTS; i++) assert.ok((store.call('hash', 'md5', null, null) as number) > 0);
    assert.equal(store.call('hash', 'md5', null, null), 0, 'full: the isolate keeps buffering');
    assert.equal(store.size, MAX_OPEN_DIGESTS);
    store.closeAll();
    assert.equal(store.size, 0);
    throwsPlain(() => store.call('hash', 'sha256', null, null), /instance has ended/);
  });

  describe('the thread-pool door (nodeHostWork)', () => {
    const rejectsPlain = (p: Promise<unknown>, pattern: RegExp) => assert.rejects(p, (e: unknown) => e instanceof Error && pattern.test(e.message), String(pattern));

    it('checks its arguments as the synchronous call does, and takes only the heavy operations', async () => {
      await rejectsPlain(nodeHostWork(OP_HASH, 'sha256', bytes('x')), /does not run on the thread pool/);
      await rejectsPlain(nodeHostWork('3'), /does not run on the thread pool/);
      await rejectsPlain(nodeHostWork(OP_PBKDF2, bytes('pw'), bytes('s'), 10_000_000, 32, 'sha256'), /iterations must be/);
      await rejectsPlain(nodeHostWork(OP_PBKDF2, 'pw', bytes('s'), 1, 32, 'sha256'), /must be bytes/);
      await rejectsPlain(nodeHostWork(OP_PBKDF2, bytes('pw'), bytes('s'), 1, 32, { toString: () => 'sha256' }), /not supported/);
      await rejectsPlain(nodeHostWork(OP_SCRYPT, bytes('pw'), bytes('s'), 32, 2 ** 20, 8, 1), /more than .* bytes of memory/);
      await rejectsPlain(nodeHostWork(OP_GENERATE, 'rsa', { modulusLength: 8192 }), /modulusLength must be/);
      await rejectsPlain(nodeHostWork(OP_GENERATE, 'dsa', {}), /cannot be generated here/);
      await rejectsPlain(nodeHostWork(OP_ZLIB, 'gzip; rm -rf', bytes('x'), {}), /unknown zlib operation/);
      await rejectsPlain(nodeHostWork(OP_ZLIB, 'gunzip', new ArrayBuffer(MAX_INPUT_BYTES + 1), {}), /limit is/);
    });

    it('gives the same bytes as the synchronous call, as plain bytes and arrays', async () => {
      const pw = bytes('pw');
      const salt = bytes('salt');
      assert.deepEqual(Buffer.from((await nodeHostWork(OP_PBKDF2, pw, salt, 1000, 32, 'sha256')) as ArrayBuffer), pbkdf2Sync('pw', 'salt', 1000, 32, 'sha256'));
      assert.deepEqual(Buffer.from((await nodeHostWork(OP_SCRYPT, pw, salt, 16, 1024, 8, 1)) as ArrayBuffer), scryptSync('pw', 'salt', 16, { N: 1024, r: 8, p: 1 }));
      const gz = (await nodeHostWork(OP_ZLIB, 'gzip', bytes('hello '.repeat(100)), { level: 9 })) as ArrayBuffer;
      assert.ok(gz instanceof ArrayBuffer);
      assert.equal(gunzipSync(Buffer.from(gz)).toString(), 'hello '.repeat(100));
      const [priv, pub, type, details] = (await nodeHostWork(OP_GENERATE, 'ec', { namedCurve: 'P-256' })) as [ArrayBuffer, ArrayBuffer, string, Record<string, unknown>];
      assert.ok(priv instanceof ArrayBuffer && pub instanceof ArrayBuffer);
      assert.equal(type, 'ec');
      assert.deepEqual(details, { namedCurve: nodeGenerate('ec', { namedCurve: 'P-256' }).privateKey.asymmetricKeyDetails!.namedCurve });
    });

    it('stops a decompression bomb at the output limit', async () => {
      const bomb = gzipSync(Buffer.alloc(MAX_OUTPUT_BYTES + 1024 * 1024));
      await rejectsPlain(nodeHostWork(OP_ZLIB, 'gunzip', bomb.buffer.slice(bomb.byteOffset, bomb.byteOffset + bomb.byteLength), {}), /Cannot create a Buffer larger|maxOutputLength|too large|larger than/i);
    });
  });
});
