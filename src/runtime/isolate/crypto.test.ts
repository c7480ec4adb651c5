/**
 * crypto.subtle inside the isolate: keys are shim objects that stand for host keys by a
 * number the user cannot see or forge; the host's key objects are never reachable.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { systemClock } from '../../core/clock.ts';
import { bundle, eventCall, handlerValue, startWith } from '../contract.ts';
import { createIsolateRuntime } from './index.ts';

describe('isolate crypto.subtle', () => {
  const runtime = createIsolateRuntime({ clock: systemClock, prewarmMemoryMb: [64], maxCryptoKeys: 4, onError: () => undefined });
  after(() => runtime.close());

  it('escape: forged keys, proxies and patched prototypes are refused; the key object holds nothing of the host', async () => {
    const h = await startWith(
      runtime,
      await bundle(`
        const name = async (p: Promise<unknown>) => p.then(() => 'no error', (e) => e.name);
        export async function handler() {
          const s = crypto.subtle;
          const data = new Uint8Array(1);
          const key = await s.importKey('raw', new Uint8Array(8), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
          const fake = Object.create(CryptoKey.prototype);
          const lookalike = { type: 'secret', extractable: true, algorithm: key.algorithm, usages: ['sign'] };
          const proxy = new Proxy(key, {});
          const origGet = WeakMap.prototype.get;
          (WeakMap.prototype as any).get = function () { return { handle: 1, type: 'secret', extractable: true, algorithm: {}, usages: [] }; };
          const afterPatch = [await name(s.sign('HMAC', fake, data)), await name(s.sign('HMAC', lookalike as any, data))];
          WeakMap.prototype.get = origGet;
          Object.defineProperty(CryptoKey.prototype, 'extractable', { get: () => true });
          const seen = [
            await name(s.sign('HMAC', fake, data)),
            await name(s.sign('HMAC', proxy, data)),
            await name(s.sign('HMAC', 1 as any, data)),
            await name(s.deriveBits({ name: 'ECDH', public: 1 } as any, key, 8)),
            ...afterPatch,
            (() => { try { new (CryptoKey as any)(); return 'constructed'; } catch (e) { return (e as Error).name; } })(),
            (() => { try { return (Object.getOwnPropertyDescriptor(CryptoKey.prototype, 'type')!.get as any).call({}); } catch (e) { return (e as Error).name; } })(),
            key.extractable, // the patched getter lies to user code only
            await name(s.exportKey('raw', key)),
          ];
          const reachable = [
            Object.getOwnPropertyNames(key).length + Object.getOwnPropertySymbols(key).length,
            Object.getPrototypeOf(key) === CryptoKey.prototype,
            (key.algorithm as any).constructor === Object,
            (key.algorithm as any).hash.constructor === Object,
            (key as any).constructor.constructor('return typeof process')(),
          ];
          return { seen, reachable };
        }`),
    );
    const v = handlerValue(await h.instance.invoke(eventCall('forge', null))) as Record<string, unknown[]>;
    assert.deepEqual(v.seen, [
      'TypeError',
      'TypeError',
      'TypeError',
      'TypeError',
      'TypeError',
      'TypeError',
      'TypeError',
      'TypeError',
      true,
      'InvalidAccessError',
    ]);
    assert.deepEqual(v.reachable, [0, true, true, true, 'undefined']);
    h.instance.dispose();
  });

  it('keys the function has let go of are freed on the host once the GC collected them', async () => {
    const r = createIsolateRuntime({ clock: systemClock, prewarmMemoryMb: [64], maxCryptoKeys: 200, onError: () => undefined });
    const h = await startWith(
      r,
      await bundle(`
        export async function handler() {
          let made = 0;
          let old: unknown[][] = [];
          try {
            for (let i = 0; i < 700; i++) {
              await crypto.subtle.importKey('raw', new Uint8Array(8), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
              made++;
              // garbage that lives long enough to reach the old generation, so full GCs happen
              const junk: unknown[] = [];
              for (let j = 0; j < 2000; j++) junk.push({ j, s: 'x' + j });
              old.push(junk);
              if (old.length > 200) old = [];
              // FinalizationRegistry callbacks run as tasks of their own: let them between bursts of imports
              if (i % 50 === 49) await new Promise((resolve) => setTimeout(resolve, 0));
            }
            return [made];
          } catch (e) {
            return [made, (e as Error).name];
          }
        }`),
      { timeoutMs: 60_000, cpuLimitMs: 60_000 },
    );
    assert.deepEqual(handlerValue(await h.instance.invoke(eventCall('churn', null))), [700]);
    h.instance.dispose();
    await r.close();
  });

  it('an instance holds a bounded number of keys and serves on past the bound', async () => {
    const h = await startWith(
      runtime,
      await bundle(`
        const held: unknown[] = [];
        export async function handler() {
          try {
            for (let i = 0; i < 10; i++) held.push(await crypto.subtle.importKey('raw', new Uint8Array(8), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']));
            return 'unbounded';
          } catch (e) {
            const sig = await crypto.subtle.sign('HMAC', held[0] as CryptoKey, new Uint8Array(1));
            return [held.length, (e as Error).name, sig.byteLength];
          }
        }`),
    );
    assert.deepEqual(handlerValue(await h.instance.invoke(eventCall('many', null))), [4, 'QuotaExceededError', 32]);
    h.instance.dispose();
  });

  it('quota errors are WebIDL QuotaExceededErrors: a DOMException with code 22, quota and requested', async () => {
    const h = await startWith(
      runtime,
      await bundle(`
        const thrown = (f: () => unknown) => { try { f(); return 'no error'; } catch (e) { return e; } };
        export async function handler() {
          const e = thrown(() => crypto.getRandomValues(new Uint8Array(65537))) as QuotaExceededError;
          const made = new QuotaExceededError('full', { quota: 10, requested: 12 });
          return [
            e.constructor === QuotaExceededError, e instanceof DOMException, e.name, e.code, e.quota, e.requested,
            made.message, made.quota, made.requested, new QuotaExceededError().quota,
            (thrown(() => new QuotaExceededError('x', { quota: 10, requested: 5 })) as Error).name,
            (thrown(() => new QuotaExceededError('x', { quota: -1 })) as Error).name,
            (thrown(() => Object.getOwnPropertyDescriptor(QuotaExceededError.prototype, 'quota')!.get!.call({})) as Error).name,
          ];
        }`),
    );
    assert.deepEqual(handlerValue(await h.instance.invoke(eventCall('quota', null))), [
      true, true, 'QuotaExceededError', 22, null, null,
      'full', 10, 12, null,
      'RangeError', 'RangeError', 'TypeError',
    ]);
    h.instance.dispose();
  });

  it('escape: a function cannot load the host: huge derived outputs and HMAC keys, big RSA keys and key bytes past the bound are refused', async () => {
    const h = await startWith(
      runtime,
      await bundle(`
        const name = async (p: Promise<unknown>) => p.then(() => 'no error', (e) => e.name);
        export async function handler() {
          const s = crypto.subtle;
          const pw = await s.importKey('raw', new Uint8Array(8), 'PBKDF2', false, ['deriveBits', 'deriveKey']);
          const pbkdf2 = { name: 'PBKDF2', hash: 'SHA-256', salt: new Uint8Array(8), iterations: 100000 };
          const ikm = await s.importKey('raw', new Uint8Array(8), 'HKDF', false, ['deriveBits']);
          const n = btoa(String.fromCharCode(...new Uint8Array(1024).fill(255))).split('/').join('_').split('=').join('');
          return [
            await name(s.deriveBits(pbkdf2, pw, 8 * 2 ** 24)),
            await name(s.deriveBits({ name: 'HKDF', hash: 'SHA-512', salt: new Uint8Array(0), info: new Uint8Array(0) }, ikm, 8 * 8160)),
            await name(s.deriveKey({ ...pbkdf2, iterations: 1 }, pw, { name: 'HMAC', hash: 'SHA-256', length: 2 ** 31 - 8 }, false, ['sign'])),
            await name(s.generateKey({ name: 'HMAC', hash: 'SHA-256', length: 2 ** 31 - 8 }, false, ['sign'])),
            await name(s.importKey('jwk', { kty: 'RSA', e: 'AQAB', n }, { name: 'RSA-PSS', hash: 'SHA-256' }, false, ['verify'])),
            await name(s.importKey('raw', new Uint8Array(2 * 1024 * 1024), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])),
          ];
        }`),
    );
    assert.deepEqual(handlerValue(await h.instance.invoke(eventCall('load', null))), [
      'NotSupportedError',
      'NotSupportedError',
      'NotSupportedError',
      'NotSupportedError',
      'NotSupportedError',
      'QuotaExceededError',
    ]);
    h.instance.dispose();
  });
});
