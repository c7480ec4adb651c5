/** The host side of crypto.subtle: per-instance, bounded key stores that give out only numbers. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyStore, MAX_PBKDF2_ITERATIONS, subtleCall } from './crypto-host.ts';

const hmac = ['raw', new Uint8Array(16).buffer, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']];

async function ok(store: KeyStore, method: string, args: unknown[], pub: unknown = null): Promise<unknown> {
  const r = await subtleCall(store, method, args, pub);
  assert.equal(r[0], true, `${method}: ${String(r[1])} ${String(r[2])}`);
  return r[1];
}

describe('crypto host', () => {
  it('escape: a key number from another instance, or a forged one, finds nothing', async () => {
    const a = new KeyStore(10);
    const b = new KeyStore(10);
    const [handle] = (await ok(a, 'importKey', hmac)) as [number];
    assert.ok((await ok(a, 'sign', ['HMAC', handle, new ArrayBuffer(1)])) instanceof ArrayBuffer);
    for (const forged of [handle, handle + 1, 0, -1, '1', { valueOf: () => handle }]) {
      assert.deepEqual((await subtleCall(b, 'sign', ['HMAC', forged, new ArrayBuffer(1)], null)).slice(0, 2), [false, 'InvalidAccessError']);
    }
    assert.deepEqual((await subtleCall(b, 'deriveBits', [{ name: 'ECDH' }, handle, 8], handle)).slice(0, 2), [false, 'InvalidAccessError']);
  });

  it('escape: only the WebCrypto methods can be called, and answers are plain data', async () => {
    const store = new KeyStore(10);
    for (const method of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'digest']) {
      assert.deepEqual((await subtleCall(store, method, [], null)).slice(0, 2), [false, 'TypeError'], method);
    }
    const pair = (await ok(store, 'generateKey', [{ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']])) as Record<string, unknown[]>;
    for (const wire of [pair.publicKey, pair.privateKey]) {
      assert.equal(typeof wire[0], 'number');
      assert.equal(Object.getPrototypeOf(wire[3]), Object.prototype);
      assert.deepEqual(wire[3], { name: 'ECDSA', namedCurve: 'P-256' });
    }
    const rsa = (await ok(store, 'generateKey', [
      { name: 'RSA-OAEP', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
      false,
      ['encrypt', 'decrypt'],
    ])) as Record<string, unknown[]>;
    const alg = rsa.publicKey[3] as Record<string, unknown>;
    assert.ok(alg.publicExponent instanceof ArrayBuffer);
    assert.deepEqual(alg.hash, { name: 'SHA-256' });
    assert.equal(Object.getPrototypeOf(alg.hash), Object.prototype);
  });

  it('holds a bounded number of keys; freeing or clearing makes room', async () => {
    const store = new KeyStore(3);
    const handles: number[] = [];
    for (let i = 0; i < 3; i++) handles.push(((await ok(store, 'importKey', hmac)) as [number])[0]);
    assert.deepEqual((await subtleCall(store, 'importKey', hmac, null)).slice(0, 2), [false, 'QuotaExceededError']);
    // a pair needs two places: none is taken when only one is free
    store.free(handles[0]);
    const pair = await subtleCall(store, 'generateKey', [{ name: 'Ed25519' }, false, ['sign', 'verify']], null);
    assert.deepEqual(pair.slice(0, 2), [false, 'QuotaExceededError']);
    assert.equal(store.size, 2);
    await ok(store, 'importKey', hmac);
    store.clear();
    assert.equal(store.size, 0);
    assert.deepEqual((await subtleCall(store, 'sign', ['HMAC', handles[1], new ArrayBuffer(1)], null)).slice(0, 2), [false, 'InvalidAccessError']);
  });

  it('bounds work the thread pool does off the function\'s CPU: PBKDF2 iterations, RSA key size, operations at once', async () => {
    const store = new KeyStore(10);
    const [pw] = (await ok(store, 'importKey', ['raw', new ArrayBuffer(4), 'PBKDF2', false, ['deriveBits']])) as [number];
    const pbkdf2 = (iterations: number) => subtleCall(store, 'deriveBits', [{ name: 'PBKDF2', hash: 'SHA-256', salt: new ArrayBuffer(8), iterations }, pw, 128], null);
    assert.equal((await pbkdf2(MAX_PBKDF2_ITERATIONS))[0], true);
    assert.deepEqual((await pbkdf2(MAX_PBKDF2_ITERATIONS + 1)).slice(0, 2), [false, 'NotSupportedError']);
    const rsa = await subtleCall(store, 'generateKey', [{ name: 'RSA-PSS', modulusLength: 8192, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, false, ['sign']], null);
    assert.deepEqual(rsa.slice(0, 2), [false, 'NotSupportedError']);

    const started: number[] = [];
    const release: Array<() => void> = [];
    const work = (i: number) => store.run(() => {
      started.push(i);
      return new Promise<void>((resolve) => release.push(resolve));
    });
    const all = [work(1), work(2), work(3)];
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(started, [1, 2]);
    release.shift()?.();
    await all[0];
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(started, [1, 2, 3]);
    for (const r of release) r();
    await Promise.all(all);
  });
});
