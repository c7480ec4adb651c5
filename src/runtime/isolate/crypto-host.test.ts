/** The host side of crypto.subtle: per-instance, bounded key stores that give out only numbers. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyStore, MAX_DERIVED_BITS, MAX_HMAC_KEY_BITS, MAX_PBKDF2_ITERATIONS, MAX_RSA_MODULUS_BITS, subtleCall, type KeyWire } from './crypto-host.ts';
import { CryptoGate } from './crypto-pool.ts';

const hmac = ['raw', new Uint8Array(16).buffer, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']];

async function ok(store: KeyStore, method: string, args: unknown[], pub: unknown = null): Promise<unknown> {
  const r = await subtleCall(store, method, args, pub);
  assert.equal(r[0], true, `${method}: ${String(r[1])} ${String(r[2])}`);
  return r[1];
}

describe('crypto host', () => {
  it('escape: a key number from another instance, or a forged one, finds nothing', async () => {
    const a = new KeyStore(10, 1 << 20);
    const b = new KeyStore(10, 1 << 20);
    const [handle] = (await ok(a, 'importKey', hmac)) as [number];
    assert.ok((await ok(a, 'sign', ['HMAC', handle, new ArrayBuffer(1)])) instanceof ArrayBuffer);
    for (const forged of [handle, handle + 1, 0, -1, '1', { valueOf: () => handle }]) {
      assert.deepEqual((await subtleCall(b, 'sign', ['HMAC', forged, new ArrayBuffer(1)], null)).slice(0, 2), [false, 'InvalidAccessError']);
    }
    assert.deepEqual((await subtleCall(b, 'deriveBits', [{ name: 'ECDH' }, handle, 8], handle)).slice(0, 2), [false, 'InvalidAccessError']);
  });

  it('escape: only the WebCrypto methods can be called, and answers are plain data', async () => {
    const store = new KeyStore(10, 1 << 20);
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
    const store = new KeyStore(3, 1 << 20);
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

  it('bounds the memory of the keys an instance holds by bytes, raw imported keys included', async () => {
    const store = new KeyStore(100, 1000);
    const raw = (n: number, alg: unknown) => subtleCall(store, 'importKey', ['raw', new ArrayBuffer(n), alg, false, [alg === 'PBKDF2' ? 'deriveBits' : 'sign']], null);
    const first = (await raw(600, { name: 'HMAC', hash: 'SHA-256' })) as [true, [number]];
    assert.equal(first[0], true);
    assert.equal(store.bytes, 600);
    assert.deepEqual((await raw(600, 'PBKDF2')).slice(0, 2), [false, 'QuotaExceededError']);
    assert.deepEqual((await subtleCall(store, 'generateKey', [{ name: 'HMAC', hash: 'SHA-256', length: 4096 }, false, ['sign']], null)).slice(0, 2), [false, 'QuotaExceededError']);
    store.free(first[1][0]);
    assert.equal(store.bytes, 0);
    assert.equal((await raw(600, 'PBKDF2'))[0], true);
    assert.equal(store.size, 1);
  });

  it('bounds work the thread pool does off the function\'s CPU: PBKDF2 iterations and output, HKDF output, HMAC and RSA key sizes', async () => {
    const store = new KeyStore(10, 1 << 20);
    const [pw] = (await ok(store, 'importKey', ['raw', new ArrayBuffer(4), 'PBKDF2', false, ['deriveBits', 'deriveKey']])) as [number];
    const pbkdf2 = (iterations: number, bits = 128) => subtleCall(store, 'deriveBits', [{ name: 'PBKDF2', hash: 'SHA-256', salt: new ArrayBuffer(8), iterations }, pw, bits], null);
    assert.equal((await pbkdf2(MAX_PBKDF2_ITERATIONS))[0], true);
    assert.deepEqual((await pbkdf2(MAX_PBKDF2_ITERATIONS + 1)).slice(0, 2), [false, 'NotSupportedError']);
    assert.equal((await pbkdf2(1, MAX_DERIVED_BITS))[0], true);
    assert.deepEqual((await pbkdf2(1, MAX_DERIVED_BITS + 8)).slice(0, 2), [false, 'NotSupportedError']);
    assert.deepEqual((await pbkdf2(1, 8 * 2 ** 24)).slice(0, 2), [false, 'NotSupportedError']);
    const [ikm] = (await ok(store, 'importKey', ['raw', new ArrayBuffer(16), 'HKDF', false, ['deriveBits']])) as [number];
    const hkdf = { name: 'HKDF', hash: 'SHA-512', salt: new ArrayBuffer(0), info: new ArrayBuffer(0) };
    assert.equal((await subtleCall(store, 'deriveBits', [hkdf, ikm, MAX_DERIVED_BITS], null))[0], true);
    assert.deepEqual((await subtleCall(store, 'deriveBits', [hkdf, ikm, MAX_DERIVED_BITS + 8], null)).slice(0, 2), [false, 'NotSupportedError']);
    const pbkdf2Alg = { name: 'PBKDF2', hash: 'SHA-256', salt: new ArrayBuffer(8), iterations: 1 };
    const hmacOf = (length: number) => ({ name: 'HMAC', hash: 'SHA-256', length });
    assert.equal((await subtleCall(store, 'deriveKey', [pbkdf2Alg, pw, hmacOf(MAX_HMAC_KEY_BITS), false, ['sign']], null))[0], true);
    assert.deepEqual((await subtleCall(store, 'deriveKey', [pbkdf2Alg, pw, hmacOf(MAX_HMAC_KEY_BITS + 8), false, ['sign']], null)).slice(0, 2), [false, 'NotSupportedError']);
    assert.equal((await subtleCall(store, 'generateKey', [hmacOf(MAX_HMAC_KEY_BITS), false, ['sign']], null))[0], true);
    assert.deepEqual((await subtleCall(store, 'generateKey', [hmacOf(2 ** 31 - 8), false, ['sign']], null)).slice(0, 2), [false, 'NotSupportedError']);
    const rsa = await subtleCall(store, 'generateKey', [{ name: 'RSA-PSS', modulusLength: 8192, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, false, ['sign']], null);
    assert.deepEqual(rsa.slice(0, 2), [false, 'NotSupportedError']);
    const jwkOf = (bytes: number) => ({ kty: 'RSA', e: 'AQAB', n: Buffer.alloc(bytes, 0xff).toString('base64url') });
    const importRsa = (bytes: number) => subtleCall(store, 'importKey', ['jwk', jwkOf(bytes), { name: 'RSA-PSS', hash: 'SHA-256' }, false, ['verify']], null);
    const before = store.size;
    assert.equal((await importRsa(MAX_RSA_MODULUS_BITS / 8))[0], true);
    assert.deepEqual((await importRsa(MAX_RSA_MODULUS_BITS / 8 + 1)).slice(0, 2), [false, 'NotSupportedError']);
    assert.equal(store.size, before + 1);
  });

  it('runs host crypto work of all instances through one gate: bounded at once, queued in turn, bounded in waiting', async () => {
    const gate = new CryptoGate({ running: 2, queued: 3, queuedPerOwner: 2, queuedBytes: 1 << 20, queuedBytesPerOwner: 1 << 20 });
    const a = new KeyStore(10, 1 << 20, gate);
    const b = new KeyStore(10, 1 << 20, gate);
    const started: string[] = [];
    const release: Array<() => void> = [];
    const work = (store: KeyStore, id: string) => store.run(() => {
      started.push(id);
      return new Promise<void>((resolve) => release.push(resolve));
    });
    const settle = () => new Promise((r) => setImmediate(r));
    const all = [work(a, 'a1'), work(b, 'b1'), work(a, 'a2'), work(b, 'b2'), work(a, 'a3')];
    await settle();
    assert.deepEqual(started, ['a1', 'b1']);
    assert.equal(gate.waiting, 3);
    // the queue is full; and one instance may not hold more than its share of it
    await assert.rejects(work(b, 'b3'), { name: 'OperationError' });
    // an instance that ends has its waiting work dropped, not run
    a.clear();
    await assert.rejects(all[2], { name: 'OperationError' });
    await assert.rejects(all[4], { name: 'OperationError' });
    release.shift()?.();
    await all[0];
    await settle();
    assert.deepEqual(started, ['a1', 'b1', 'b2']);
    assert.equal(gate.active, 2);
    for (const r of release) r();
    await Promise.all([all[1], all[3]]);
    assert.equal(gate.active, 0);
  });

  it('bounds what waits by the bytes it holds, for one instance and for all, and gives them back as work starts or is dropped', async () => {
    const gate = new CryptoGate({ running: 1, queued: 100, queuedPerOwner: 100, queuedBytes: 40_000, queuedBytesPerOwner: 25_000 });
    const a = {};
    const b = {};
    const release: Array<() => void> = [];
    const hold = () => new Promise<void>((r) => release.push(r));
    const running = gate.run(a, hold);
    const waitingA = gate.run(a, hold, 20_000);
    // 20,000 + 10,000 would pass a's 25,000
    await assert.rejects(gate.run(a, hold, 10_000), { name: 'OperationError' });
    const waitingB = gate.run(b, hold, 15_000);
    // b is within its own bound, but all together would pass 40,000
    await assert.rejects(gate.run(b, hold, 8_000), { name: 'OperationError' });
    assert.ok(gate.waitingBytes >= 35_000 && gate.waitingBytes < 36_000);
    gate.cancel(b);
    await assert.rejects(waitingB, { name: 'OperationError' });
    release.shift()!();
    await running;
    while (gate.active === 0 || release.length === 0) await new Promise((r) => setImmediate(r));
    assert.equal(gate.waitingBytes, 0, "a's waiting call started: its bytes are given back");
    const again = gate.run(a, async () => 'ran', 20_000);
    release.shift()!();
    await waitingA;
    assert.equal(await again, 'ran');
  });

  it('a burst of keyed calls from one instance waits its turn instead of failing, and importKey never waits at the gate', async () => {
    const store = new KeyStore(1000, 1 << 20);
    const raw = new Uint8Array(16).fill(7);
    const imported = await Promise.all(Array.from({ length: 300 }, () => subtleCall(store, 'importKey', ['raw', raw, { name: 'AES-GCM' }, false, ['encrypt']], null)));
    assert.ok(imported.every((r) => r[0] === true), 'all 300 imports at once succeed');
    const handle = (imported[0][1] as KeyWire)[0];
    const sealed = await Promise.all(
      Array.from({ length: 300 }, (_, i) => subtleCall(store, 'encrypt', [{ name: 'AES-GCM', iv: new Uint8Array(12).fill(i % 256) }, handle, new Uint8Array([i % 256])], null)),
    );
    assert.ok(sealed.every((r) => r[0] === true), 'all 300 encryptions at once succeed');
    assert.equal((sealed[5][1] as ArrayBuffer).byteLength, 17);
  });
});
