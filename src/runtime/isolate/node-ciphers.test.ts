/**
 * The ciphers the host keeps for the Node layer (node-ciphers.ts), as an attacker in the
 * isolate would use the store: numbers it did not hand out, another instance's numbers,
 * wrong kinds of arguments, more ciphers than the bound. And inside an isolate: a cipher fed
 * once keeps nothing on the host, the bound's error says what to do, and one instance
 * cannot reach another's ciphers.
 */
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { systemClock } from '../../core/clock.ts';
import { bundleSource } from '../../deploy/bundle.ts';
import { eventCall, handlerValue, startWith } from '../contract.ts';
import { createIsolateRuntime } from './index.ts';
import { MAX_OPEN_CIPHERS, NodeCiphers } from './node-ciphers.ts';
import { MAX_INPUT_BYTES } from './node-host.ts';

const bytes = (s: string | Buffer) => new Uint8Array(typeof s === 'string' ? Buffer.from(s) : s).slice().buffer as ArrayBuffer;
const KEY = Buffer.alloc(16, 1);
const IV = Buffer.alloc(16, 2);
/** [alg, key, iv, decrypt, aad, authTag, authTagLength, autoPadding, plaintextLength] */
const spec = (over: Partial<Record<number, unknown>> = {}) => Object.assign(['aes-128-cbc', bytes(KEY), bytes(IV), false, null, null, null, true, null], over);

function throwsPlain(f: () => unknown, pattern: RegExp): void {
  assert.throws(f, (e: unknown) => e instanceof Error && pattern.test(e.message), String(pattern));
}

describe('the ciphers the host keeps', () => {
  it('gives each update Node’s bytes, keeping the cipher only past its first update', () => {
    const store = new NodeCiphers();
    const node = createCipheriv('aes-128-cbc', KEY, IV);
    const first = Buffer.alloc(20, 3);
    const [out1, last, tag, error] = store.call('once', spec(), bytes(first), null) as [ArrayBuffer, ArrayBuffer, null, null];
    assert.deepEqual(Buffer.from(out1), node.update(first));
    assert.equal(store.size, 0, 'a one-shot keeps nothing');
    const twin = createCipheriv('aes-128-cbc', KEY, IV);
    twin.update(first);
    assert.deepEqual(Buffer.from(last), twin.final(), 'final’s answer, asked ahead');
    assert.equal(tag, null);
    assert.equal(error, null);
    const [id, out2] = store.call('open', spec(), bytes(first), bytes(Buffer.alloc(30, 4))) as [number, ArrayBuffer];
    assert.deepEqual(Buffer.from(out2), node.update(Buffer.alloc(30, 4)), 'the first input replayed, its output dropped');
    assert.equal(store.size, 1);
    assert.deepEqual(Buffer.from(store.call('update', id, bytes(Buffer.alloc(5, 5)), null) as ArrayBuffer), node.update(Buffer.alloc(5, 5)));
    const [final] = store.call('final', id, null, null) as [ArrayBuffer];
    assert.deepEqual(Buffer.from(final), node.final());
    assert.equal(store.size, 0, 'final frees it');
    throwsPlain(() => store.call('update', id, bytes('x'), null), /not open/);
  });

  it('reports final’s failure of a one-shot as a value, for the isolate to throw at final', () => {
    const store = new NodeCiphers();
    const gcm = spec({ 0: 'aes-128-gcm', 2: bytes(Buffer.alloc(12)), 3: true, 5: bytes(Buffer.alloc(16)) });
    const [out, last, , error] = store.call('once', gcm, bytes('ciphertext'), null) as [ArrayBuffer, null, null, string];
    assert.equal(out.byteLength, 10);
    assert.equal(last, null);
    assert.match(error, /unable to authenticate/);
    const cbc = createCipheriv('aes-128-cbc', KEY, IV);
    const ciphertext = Buffer.concat([cbc.update('sixteen bytes!!!'), cbc.final()]);
    const [, , , padError] = store.call('once', spec({ 1: bytes(Buffer.alloc(16, 9)), 3: true }), bytes(ciphertext), null) as unknown[];
    assert.match(String(padError), /bad decrypt/);
    const plain = createDecipheriv('aes-128-cbc', KEY, IV);
    assert.deepEqual(Buffer.from((store.call('once', spec({ 3: true }), bytes(ciphertext), null) as ArrayBuffer[])[1]!), plain.update(ciphertext) && plain.final());
  });

  it('checks every argument and finds nothing by a number it did not hand out', () => {
    const store = new NodeCiphers();
    throwsPlain(() => store.call('once', spec({ 0: 'rot13' }), bytes('x'), null), /Unknown cipher/);
    throwsPlain(() => store.call('once', spec({ 0: { toString: () => 'aes-128-cbc' } }), bytes('x'), null), /short string/);
    throwsPlain(() => store.call('once', spec({ 1: 'key text' }), bytes('x'), null), /key must be bytes/);
    throwsPlain(() => store.call('once', spec({ 3: 'yes' }), bytes('x'), null), /bad cipher description/);
    throwsPlain(() => store.call('once', ['aes-128-cbc'], bytes('x'), null), /bad cipher description/);
    throwsPlain(() => store.call('once', spec({ 5: bytes(Buffer.alloc(16)) }), bytes('x'), null), /tag is set on a decipher/);
    throwsPlain(() => store.call('once', spec({ 6: 99 }), bytes('x'), null), /authTagLength must be/);
    throwsPlain(() => store.call('once', spec(), new ArrayBuffer(MAX_INPUT_BYTES + 1), null), /limit is/);
    throwsPlain(() => store.call('open', spec(), 'replay', bytes('x')), /replay must be bytes/);
    for (const bogus of [0, -1, 1.5, 2 ** 40, '1', null, { valueOf: () => 1 }]) {
      throwsPlain(() => store.call('update', bogus, bytes('x'), null), /cipher must be an integer|not open/);
      throwsPlain(() => store.call('final', bogus, null, null), /cipher must be an integer|not open/);
    }
    throwsPlain(() => store.call('check', spec({ 1: bytes(Buffer.alloc(15)) }), null, null), /Invalid key length/);
    throwsPlain(() => store.call('check', spec({ 2: bytes(Buffer.alloc(3)) }), null, null), /Invalid initialization vector/);
    assert.equal(store.call('check', spec(), null, null), undefined);
    assert.equal(store.size, 0, 'a check keeps nothing');
    throwsPlain(() => store.call('update', 999, bytes('x'), null), /not open/);
    throwsPlain(() => store.call('set', 999, 'tag', bytes('x')), /not open/);
    throwsPlain(() => store.call('constructor', 1, null, null), /unknown cipher operation/);
    const [id] = store.call('open', spec(), null, bytes('x')) as [number];
    throwsPlain(() => store.call('set', id, 'key', bytes('x')), /unknown cipher setting/);
    throwsPlain(() => store.call('set', id, 'padding', 'no'), /unknown cipher setting/);
    const other = new NodeCiphers();
    throwsPlain(() => other.call('update', id, bytes('x'), null), /not open/);
    throwsPlain(() => other.call('final', id, null, null), /not open/);
    store.call('free', id, null, null);
    assert.equal(store.size, 0);
  });

  it('holds at most MAX_OPEN_CIPHERS (0 past that), and ends with its instance', () => {
    const store = new NodeCiphers();
    const ids = Array.from({ length: MAX_OPEN_CIPHERS }, () => (store.call('open', spec(), null, bytes('x')) as [number])[0]);
    assert.ok(ids.every((id) => id > 0));
    assert.deepEqual(store.call('open', spec(), null, bytes('x')), [0, null], 'full');
    assert.equal(store.size, MAX_OPEN_CIPHERS);
    store.call('final', ids[0], null, null);
    assert.ok((store.call('open', spec(), null, bytes('x')) as [number])[0] > 0, 'a final makes room');
    store.closeAll();
    assert.equal(store.size, 0);
    throwsPlain(() => store.call('update', ids[1], bytes('x'), null), /instance has ended/);
    throwsPlain(() => store.call('once', spec(), bytes('x'), null), /instance has ended/);
  });
});

describe('ciphers kept by the host, from inside an isolate', () => {
  const runtime = createIsolateRuntime({ clock: systemClock, prewarmMemoryMb: [64], onError: () => undefined });
  after(() => runtime.close());

  it('a cipher fed once takes no place on the host; past the bound the error names it and what to do; a final makes room', async () => {
    const code = (await bundleSource({ 'index.ts': `import crypto from 'node:crypto';
      const key = Buffer.alloc(16, 1), iv = Buffer.alloc(16, 2);
      export async function handler() {
        const once = Array.from({ length: 200 }, () => crypto.createCipheriv('aes-128-cbc', key, iv));
        for (const c of once) c.update('x'.repeat(20));
        const kept = Array.from({ length: ${MAX_OPEN_CIPHERS} }, () => crypto.createCipheriv('aes-128-ctr', key, iv));
        for (const c of kept) { c.update('a'); c.update('b'); }
        const extra = crypto.createCipheriv('aes-128-ctr', key, iv);
        extra.update('a');
        let error = null;
        try { extra.update('b'); } catch (e) { error = [e.code, e.message]; }
        kept[0].final();
        const again = crypto.createCipheriv('aes-128-ctr', key, iv);
        again.update('a');
        const more = again.update('b').toString('hex');
        return { error, more, finals: once.slice(0, 3).map((c) => c.final('hex')) };
      }` }, 'index.ts')).code;
    const h = await startWith(runtime, code);
    try {
      const got = handlerValue(await h.instance.invoke(eventCall('c-bound', null))) as { error: [string, string]; more: string; finals: string[] };
      assert.equal(got.error[0], 'ERR_NIMBUS_TOO_MANY_CIPHERS');
      assert.match(got.error[1], new RegExp(`the limit is ${MAX_OPEN_CIPHERS}.*final\\(\\)`));
      const node = createCipheriv('aes-128-ctr', Buffer.alloc(16, 1), Buffer.alloc(16, 2));
      node.update('a');
      assert.equal(got.more, node.update('b').toString('hex'));
      const cbc = createCipheriv('aes-128-cbc', Buffer.alloc(16, 1), Buffer.alloc(16, 2));
      cbc.update('x'.repeat(20));
      assert.deepEqual(got.finals, Array(3).fill(cbc.final('hex')));
    } finally {
      h.instance.dispose();
    }
  });

  it('the raw host call finds nothing by another instance’s numbers, nor by forged ones', async () => {
    const opener = (await bundleSource({ 'index.ts': `import crypto from 'node:crypto';
      const kept = [];
      export async function handler() {
        const c = crypto.createCipheriv('aes-128-ctr', Buffer.alloc(16, 1), Buffer.alloc(16, 2));
        c.update('a'); c.update('b');
        kept.push(c);
        return kept.length;
      }` }, 'index.ts')).code;
    // a bundle that carries its own layer, and not its crypto, is given the raw host function as a global
    const prober = (await bundleSource({ 'index.ts': `import { Buffer } from 'node:buffer';
      const raw = globalThis.__nimbus_node_host;
      export async function handler() {
        const errorOf = (f) => { try { f(); return 'no error'; } catch (e) { return String(e && e.message); } };
        return [1, 2, 3, 0, -1, 2 ** 31 + 1, 1.5, '1'].map((id) => errorOf(() => raw(18, 'update', id, new ArrayBuffer(1))))
          .concat([errorOf(() => raw(18, 'final', 1)), errorOf(() => raw(18, 'once', ['aes-128-cbc'], new ArrayBuffer(1))), typeof Buffer]);
      }` }, 'index.ts', 'isolate', { sharedLayer: false })).code;
    const a = await startWith(runtime, opener);
    const b = await startWith(runtime, prober);
    try {
      for (let i = 1; i <= 3; i++) assert.equal(handlerValue(await a.instance.invoke(eventCall(`c-a${i}`, null))), i);
      const got = handlerValue(await b.instance.invoke(eventCall('c-b', null))) as string[];
      assert.equal(got.pop(), 'function');
      for (const e of got) assert.notEqual(e, 'no error');
      for (const e of got.slice(0, 3)) assert.match(e, /not open/, 'instance a’s ciphers 1–3 are not instance b’s');
    } finally {
      a.instance.dispose();
      b.instance.dispose();
    }
  });
});
