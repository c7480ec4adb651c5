/**
 * The Node layer: the built-in probes answer inside an isolate as in Node; the bundler
 * resolves as edge runtimes do and refuses unknown built-ins at deploy; process, fs and
 * AsyncLocalStorage keep to the function's own world.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../../core/clock.ts';
import { bundlePath, bundleSource } from '../../deploy/bundle.ts';
import { eventCall, handlerValue, rejectsWith, startWith } from '../contract.ts';
import { probes } from './fixtures/node-compat/probes.ts';
import { createHmac, pbkdf2Sync } from 'node:crypto';
import { HOST_GATE } from './crypto-host.ts';
import type { CryptoGate } from './crypto-pool.ts';
import { createIsolateRuntime } from './index.ts';
import { ZLIB_GATE } from './zlib-host.ts';
import { sharedLayerOf, usesNodeLayer } from './node-env.ts';
import { LAYER_KINDS, sharedExports, sharedLayer, sharedModules } from '../../deploy/node-layer-shared.ts';
import { baseConfig } from '../contract.ts';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const quiet = () => undefined;

/** Writes a directory of files (a function with its node_modules) and returns its path. */
function project(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'nimbus-node-layer-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, name)), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  return root;
}

describe('Node layer', () => {
  const runtime = createIsolateRuntime({ clock: systemClock, prewarmMemoryMb: [64], onError: quiet });
  const dirs: string[] = [];
  after(async () => {
    await runtime.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const run = async (code: string, event: unknown = null, env: Record<string, string> = {}) => {
    const h = await startWith(runtime, code, { env });
    try {
      return handlerValue(await h.instance.invoke(eventCall(`n-${Math.random()}`, event)));
    } finally {
      h.instance.dispose();
    }
  };
  const source = async (text: string) => (await bundleSource({ 'index.ts': text }, 'index.ts')).code;

  describe('built-ins inside the isolate answer as Node does', () => {
    let probe: Awaited<ReturnType<typeof startWith>>;
    before(async () => {
      probe = await startWith(runtime, (await bundlePath(fixture('node-compat'))).code);
    });
    after(() => probe.instance.dispose());
    for (const name of Object.keys(probes)) {
      it(name, async () => {
        const expected = JSON.parse(JSON.stringify(await probes[name]!()));
        assert.deepEqual(handlerValue(await probe.instance.invoke(eventCall(`probe-${name}`, name))), expected);
      });
    }
  });

  describe('bundling', () => {
    it('a function that imports no built-in gets none of the layer', async () => {
      const code = await source(`export async function handler() { return [typeof globalThis.process, typeof globalThis.Buffer]; }`);
      assert.equal(usesNodeLayer(code), false);
      assert.ok(!code.includes('readable-stream') && !code.includes('node/process.ts') && !code.includes('inject'), 'nothing of the layer in the bundle');
      assert.deepEqual(await run(code), ['undefined', 'undefined']);
    });

    it('code that uses the globals process, Buffer and setImmediate without importing them gets the layer’s', async () => {
      const code = await source(`export async function handler() {
        const later = await new Promise((r) => setImmediate(r, 'later'));
        return [process.env.GREETING, Buffer.from(process.env.GREETING).toString('hex'), later, typeof globalThis.Buffer]; }`);
      assert.equal(usesNodeLayer(code), true);
      assert.deepEqual(await run(code, null, { GREETING: 'hi' }), ['hi', '6869', 'later', 'function']);
    });

    it('process.env.NODE_ENV is "production", global and __dirname are defined', async () => {
      const code = await source(`export async function handler() { return [process.env.NODE_ENV, global === globalThis, __dirname, __filename]; }`);
      assert.deepEqual(await run(code), ['production', true, '/bundle', '/bundle/index.js']);
    });

    it('honours browser maps, resolves CommonJS, JSON and require of built-ins', async () => {
      const root = project({
        'index.js': `const lib = require('dual'); const data = require('./data.json'); const { EventEmitter } = require('events');
          exports.handler = async () => [lib.which, lib.fs, data.n, typeof new EventEmitter().on, require('node:path').join('a', 'b')];`,
        'data.json': '{"n": 7}',
        'node_modules/dual/package.json': JSON.stringify({ name: 'dual', main: 'node.js', browser: { './node.js': './browser.js', fs: false } }),
        'node_modules/dual/node.js': `module.exports = { which: 'node', fs: typeof require('fs') };`,
        'node_modules/dual/browser.js': `const fs = require('fs'); module.exports = { which: 'browser', fs: typeof fs === 'object' && Object.keys(fs).length === 0 ? 'disabled' : 'real' };`,
      });
      dirs.push(root);
      const code = (await bundlePath(root)).code;
      assert.deepEqual(await run(code), ['browser', 'disabled', 7, 'function', 'a/b']);
    });

    it("a package's `process/` (the npm polyfill's name: readable-stream's) is the layer's process, so stream ticks run before promise continuations, as in Node", async () => {
      const root = project({
        'index.js': `const { Readable } = require('node:stream'); const p = require('proc-user');
          exports.handler = async () => {
            const order = [];
            const r = new Readable({ read() {} });
            r.push('a');
            r.on('data', (c) => order.push('data ' + c));
            await null;
            order.push('continued');
            return [p === process, typeof p.nextTick, order];
          };`,
        'node_modules/proc-user/package.json': JSON.stringify({ name: 'proc-user', main: 'index.js' }),
        'node_modules/proc-user/index.js': `module.exports = require('process/');`,
      });
      dirs.push(root);
      for (const sharedLayer of [true, false]) {
        const code = (await bundlePath(root, 'isolate', false, { sharedLayer })).code;
        assert.deepEqual(await run(code), [true, 'function', ['data a', 'continued']], `shared layer: ${sharedLayer}`);
      }
    });

    it('takes the workerd/worker/browser export conditions before the default', async () => {
      const root = project({
        'index.js': `import v from 'cond'; export async function handler() { return v; }`,
        'node_modules/cond/package.json': JSON.stringify({ name: 'cond', exports: { node: './node.js', workerd: './workerd.js', default: './default.js' } }),
        'node_modules/cond/node.js': `export default 'node';`,
        'node_modules/cond/workerd.js': `export default 'workerd';`,
        'node_modules/cond/default.js': `export default 'default';`,
      });
      dirs.push(root);
      assert.equal(await run((await bundlePath(root)).code), 'workerd');
    });

    it("a package's import of a built-in Nimbus does not provide deploys with a warning naming both; calling it throws, naming them", async () => {
      const root = project({
        'index.js': `import spawn from 'spawner'; import { lazy } from 'esm-spawner';
          export async function handler(event) { if (event === 'lazy') return typeof lazy; try { return event === 'esm' ? lazy() : spawn(); } catch (e) { return [e.code, e.message]; } }`,
        'node_modules/spawner/package.json': JSON.stringify({ name: 'spawner', main: 'index.js' }),
        'node_modules/spawner/index.js': `const cp = require('child_process'); module.exports = () => cp.execSync('id');`,
        'node_modules/esm-spawner/package.json': JSON.stringify({ name: 'esm-spawner', type: 'module', main: 'index.js' }),
        'node_modules/esm-spawner/index.js': `import { exec } from 'node:child_process'; export const lazy = () => exec('id');`,
      });
      dirs.push(root);
      const built = await bundlePath(root);
      assert.ok(built.warnings.some((w) => /"child_process" imported by package "spawner" is not available in functions: a function cannot start processes; deployed anyway/.test(w)), built.warnings.join('\n'));
      assert.ok(built.warnings.some((w) => /"node:child_process" imported by package "esm-spawner"/.test(w)));
      const h = await startWith(runtime, built.code);
      try {
        assert.equal(handlerValue(await h.instance.invoke(eventCall('n-lazy', 'lazy'))), 'function', 'imported and never called: the function runs');
        const [code, message] = handlerValue(await h.instance.invoke(eventCall('n-call', null))) as [string, string];
        assert.equal(code, 'ERR_NIMBUS_UNSUPPORTED_MODULE');
        assert.match(message, /^the Node built-in "child_process" imported by package "spawner" is not available in functions: a function cannot start processes \(called: execSync\)$/);
        const [esmCode, esmMessage] = handlerValue(await h.instance.invoke(eventCall('n-esm', 'esm'))) as [string, string];
        assert.equal(esmCode, 'ERR_NIMBUS_UNSUPPORTED_MODULE', 'a named ES import finds the member too');
        assert.match(esmMessage, /"node:child_process" imported by package "esm-spawner" .*\(called: exec\)$/);
      } finally {
        h.instance.dispose();
      }
    });

    it("the function's own import of a built-in Nimbus does not provide fails the deploy, naming it and the file", async () => {
      const root = project({ 'index.js': `const cp = require('child_process'); exports.handler = async () => cp.execSync('id');` });
      dirs.push(root);
      const extra = await rejectsWith(bundlePath(root), 'NIMBUS_ERR_UNSUPPORTED_MODULE');
      assert.equal(extra.module, 'child_process');
      assert.equal(extra.importedBy, 'index.js');
    });

    it('http, https and child_process imported by a package (nodemailer does) deploy and throw when called; from the function’s own code they fail the deploy', async () => {
      const root = project({
        'index.js': `import { spawnIt, get, def } from 'mailish'; export async function handler() {
          const tryIt = (f) => { try { f(); return 'ran'; } catch (e) { return [e.code, e.message]; } };
          return { spawn: tryIt(spawnIt), get: tryIt(get), agent: tryIt(() => new def.Agent()) };
        }`,
        'node_modules/mailish/package.json': JSON.stringify({ name: 'mailish', main: 'index.js' }),
        'node_modules/mailish/index.js': `const cp = require('child_process'); import * as https from 'node:https'; import http from 'http';
          export const spawnIt = () => cp.spawn('sendmail'); export const get = () => https.get('https://example.com'); export const def = http;`,
      });
      dirs.push(root);
      assert.deepEqual(await run((await bundlePath(root)).code), {
        spawn: ['ERR_NIMBUS_UNSUPPORTED_MODULE', 'the Node built-in "child_process" imported by package "mailish" is not available in functions: a function cannot start processes (called: spawn)'],
        get: ['ERR_NIMBUS_UNSUPPORTED_MODULE', 'the Node built-in "node:https" imported by package "mailish" is not available in functions: a function serves HTTP through its fetch export and calls out with fetch() (called: get)'],
        agent: ['ERR_NIMBUS_UNSUPPORTED_MODULE', 'the Node built-in "http" imported by package "mailish" is not available in functions: a function serves HTTP through its fetch export and calls out with fetch() (called: Agent)'],
      });
      const own = await rejectsWith(bundleSource({ 'index.ts': `import http from 'node:http'; export const handler = () => typeof http.request;` }, 'index.ts'), 'NIMBUS_ERR_UNSUPPORTED_MODULE');
      assert.equal(own.module, 'http');
      assert.equal(own.importedBy, 'index.ts');
    });

    it('worker_threads is refused with the reason, from the function’s own file too', async () => {
      const extra = await rejectsWith(bundleSource({ 'src/w.ts': `import { Worker } from 'node:worker_threads'; export const handler = () => String(Worker);` }, 'src/w.ts'), 'NIMBUS_ERR_UNSUPPORTED_MODULE');
      assert.equal(extra.module, 'worker_threads');
      assert.equal(extra.importedBy, 'src/w.ts');
      assert.match(String((extra.errors as Array<{ text: string }>)[0]!.text), /one thread/);
    });
  });

  describe('process', () => {
    it('env is the function’s env (also at the top level), and nothing of the host', async () => {
      const code = await source(`import process from 'node:process';
        const atTop = process.env.GREETING;
        export async function handler() {
          return { atTop, env: process.env, globalSame: globalThis.process === process, cwd: process.cwd(), platform: process.platform,
            pid: process.pid, argv: process.argv, version: process.version, hr: process.hrtime().length, big: typeof process.hrtime.bigint(),
            tick: await new Promise((r) => process.nextTick(r, 'ticked')), leftover: Object.getOwnPropertyNames(globalThis).filter((k) => k.startsWith('__nimbus_node_env')) };
        }`);
      const got = (await run(code, null, { GREETING: 'hi' })) as Record<string, unknown>;
      assert.equal(got.atTop, 'hi');
      assert.deepEqual(got.env, { GREETING: 'hi' });
      assert.equal(got.globalSame, true);
      assert.equal(got.cwd, '/');
      assert.equal(got.platform, 'linux');
      assert.equal(got.pid, 1);
      assert.deepEqual(got.argv, ['node', '/bundle/index.js']);
      assert.equal(got.hr, 2);
      assert.equal(got.big, 'bigint');
      assert.equal(got.tick, 'ticked');
      assert.deepEqual(got.leftover, []);
      for (const hostFact of [process.env.PATH, process.env.HOME, String(process.pid)]) {
        if (hostFact) assert.ok(!JSON.stringify(got).includes(hostFact), 'no host fact reaches the function');
      }
    });

    it('process.exit throws instead of ending anything', async () => {
      const code = await source(`import process from 'node:process'; export async function handler() { try { process.exit(1); } catch (e) { return e.message; } }`);
      assert.match(String(await run(code)), /not available in a function/);
    });
  });

  describe('fs', () => {
    it('reads the deployed files under /bundle, writes /tmp in memory, refuses the rest with the rule', async () => {
      const root = project({
        'index.js': `import fs from 'node:fs'; import { readFile } from 'node:fs/promises'; import path from 'node:path';
          export async function handler() {
            const errorOf = (f) => { try { f(); return 'no error'; } catch (e) { return e.message; } };
            fs.mkdirSync('/tmp/a/b', { recursive: true });
            fs.writeFileSync('/tmp/a/b/x.txt', 'one');
            fs.appendFileSync('/tmp/a/b/x.txt', '+two');
            return {
              own: fs.readFileSync(path.join(__dirname, 'templates/page.html'), 'utf8'),
              ownAsync: await readFile('/bundle/templates/page.html', 'utf8'),
              tmp: fs.readFileSync('/tmp/a/b/x.txt', 'utf8'),
              list: fs.readdirSync('/tmp/a', { recursive: true }),
              stat: fs.statSync('/tmp/a/b/x.txt').size,
              // a deployed file's size before anything read it, then its bytes, and a copy of it
              ownSize: fs.statSync('/bundle/templates/note.txt').size,
              ownBytes: fs.readFileSync('/bundle/templates/note.txt').toString('hex'),
              copied: (fs.copyFileSync('/bundle/templates/note.txt', '/tmp/note.txt'), fs.readFileSync('/tmp/note.txt', 'utf8')),
              noModules: fs.existsSync('/bundle/node_modules'),
              etc: errorOf(() => fs.readFileSync('/etc/passwd')),
              escape: errorOf(() => fs.readFileSync('/tmp/../etc/passwd')),
              writeBundle: errorOf(() => fs.writeFileSync('/bundle/index.js', 'x')),
              missing: errorOf(() => fs.readFileSync('/tmp/nope')),
            };
          }`,
        'templates/page.html': '<h1>hi</h1>',
        'templates/note.txt': 'héllo ✓',
        'node_modules/secret/index.js': 'module.exports = 1',
      });
      dirs.push(root);
      const got = (await run((await bundlePath(root)).code)) as Record<string, string>;
      assert.equal(got.own, '<h1>hi</h1>');
      assert.equal(got.ownAsync, '<h1>hi</h1>');
      assert.equal(got.tmp, 'one+two');
      assert.deepEqual(got.list, ['b', 'b/x.txt']);
      assert.equal(got.stat, 7);
      assert.equal(got.ownSize, Buffer.byteLength('héllo ✓'));
      assert.equal(got.ownBytes, Buffer.from('héllo ✓').toString('hex'));
      assert.equal(got.copied, 'héllo ✓');
      assert.equal(got.noModules, false);
      assert.match(got.etc!, /^EACCES: permission denied, open '\/etc\/passwd' \(functions read \/bundle/);
      assert.match(got.escape!, /^EACCES: .*'\/etc\/passwd'/);
      assert.match(got.writeBundle!, /^EROFS/);
      assert.match(got.missing!, /^ENOENT/);
    });

    it('/tmp is per instance', async () => {
      const code = await source(`import fs from 'node:fs'; export async function handler(e) { if (e === 'write') fs.writeFileSync('/tmp/f', 'x'); return fs.existsSync('/tmp/f'); }`);
      assert.equal(await run(code, 'write'), true);
      assert.equal(await run(code, 'read'), false);
    });
  });

  describe('the host call behind crypto and zlib', () => {
    it('hands back the isolate’s own objects, leaves no host object or global behind, and refuses forged input', async () => {
      const code = await source(`import crypto from 'node:crypto'; import zlib from 'node:zlib';
        const raw = globalThis.__nimbus_node_host;
        export async function handler() {
          const d = crypto.createHash('sha256').update('x').digest();
          const z = zlib.gzipSync('x');
          const F = d.buffer.constructor.constructor;
          const errorOf = (f) => { try { f(); return 'no error'; } catch (e) { return String(e && e.message); } };
          return {
            sameRealm: d.buffer instanceof ArrayBuffer && z instanceof Uint8Array && F === Function,
            pid: F('return globalThis.process && globalThis.process.pid')() ?? null,
            requireType: F('return typeof require')(),
            leftover: typeof globalThis.__nimbus_node_host,
            captured: typeof raw,
            forgedKey: errorOf(() => crypto.sign(null, Buffer.from('m'), { key: 'not a key' })),
            bomb: errorOf(() => crypto.pbkdf2Sync('pw', 'salt', 1e9, 32, 'sha256')),
          };
        }`);
      const got = (await run(code)) as Record<string, unknown>;
      assert.equal(got.sameRealm, true);
      assert.ok(got.pid === null || got.pid === 1, 'no host process');
      assert.equal(got.requireType, 'undefined');
      assert.equal(got.leftover, 'undefined');
      assert.equal(got.captured, 'undefined', 'the layer took the call before user code ran');
      assert.notEqual(got.forgedKey, 'no error');
      assert.match(String(got.bomb), /iterations must be an integer/);
    });

    it('heavy synchronous work (pbkdf2Sync, scryptSync, generateKeyPairSync, a gzipSync of 300 KB) waits on the thread pool, the platform’s thread free meanwhile', async () => {
      const code = await source(`import crypto from 'node:crypto'; import zlib from 'node:zlib';
        const door = typeof globalThis.__nimbus_node_pool;
        export async function handler(kind) {
          if (kind === 'pbkdf2') return crypto.pbkdf2Sync('pw', 'salt', 1000, 32, 'sha256').toString('hex');
          if (kind === 'scrypt') return crypto.scryptSync('pw', 'salt', 16, { N: 1024 }).length;
          if (kind === 'generate') return crypto.generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.asymmetricKeyDetails.modulusLength;
          if (kind === 'gzip') return zlib.gunzipSync(zlib.gzipSync(Buffer.alloc(300000, 97))).length;
          return door;
        }`);
      const h = await startWith(runtime, code);
      /** Runs `kind` while `gate`'s two slots are held: the call must queue there, and this thread sees it queued before letting it run. */
      const throughGate = async (gate: CryptoGate, kind: string) => {
        const release: Array<() => void> = [];
        const held = [0, 1].map(() => gate.run({}, () => new Promise<void>((r) => release.push(r))));
        const pending = h.instance.invoke(eventCall(`pool-${kind}`, kind));
        const queued = (async () => {
          while (gate.waiting === 0) await new Promise((r) => setImmediate(r));
          return 'queued';
        })();
        const first = await Promise.race([queued, pending.then(() => 'finished without the pool')]);
        for (const r of release) r();
        await Promise.all(held);
        assert.equal(first, 'queued', kind);
        return handlerValue(await pending);
      };
      try {
        assert.equal(await throughGate(HOST_GATE, 'pbkdf2'), pbkdf2Sync('pw', 'salt', 1000, 32, 'sha256').toString('hex'));
        assert.equal(await throughGate(HOST_GATE, 'scrypt'), 16);
        assert.equal(await throughGate(HOST_GATE, 'generate'), 1024);
        assert.equal(await throughGate(ZLIB_GATE, 'gzip'), 300000);
        assert.equal(handlerValue(await h.instance.invoke(eventCall('pool-door', 'door'))), 'undefined', 'the layer took the pool door before user code ran');
      } finally {
        h.instance.dispose();
      }
    });

    it('on the shared layer, the raw host function is never a global', async () => {
      const code = await source(`import { Buffer } from 'node:buffer';
        import { Readable } from 'node:stream';
        const raw = typeof globalThis.__nimbus_node_host;
        export async function handler() { return [typeof Readable, raw, typeof globalThis.__nimbus_node_host, typeof globalThis.__nimbus_node_pool, typeof globalThis.__nimbus_node_env, typeof Buffer]; }`);
      assert.notEqual(sharedLayerOf(code), null);
      assert.deepEqual(await run(code), ['function', 'undefined', 'undefined', 'undefined', 'undefined', 'function']);
    });

    it('a bundle that calls the raw host function directly gets errors, and the instance serves on', async () => {
      // a bundle that carries its own layer (as deployed before spares held it) is given the host function as a global
      const code = (await bundleSource({ 'index.ts': `import { Buffer } from 'node:buffer';
        const raw = globalThis.__nimbus_node_host;
        export async function handler() {
          const errorOf = (f) => { try { f(); return 'no error'; } catch (e) { return String(e && e.message); } };
          return [
            errorOf(() => raw(1, 'sha256', new Proxy(new ArrayBuffer(4), {}))),
            errorOf(() => raw(1, { toString() { return 'sha256'; } }, new ArrayBuffer(4))),
            errorOf(() => raw(12, 'gunzip', new ArrayBuffer(10), { level: 'x' })),
            errorOf(() => raw(42)),
            Buffer.from(raw(1, 'sha256', new ArrayBuffer(0), null)).toString('hex').slice(0, 8),
          ];
        }` }, 'index.ts', 'isolate', { sharedLayer: false })).code;
      assert.equal(sharedLayerOf(code), null);
      const got = (await run(code)) as string[];
      for (const e of got.slice(0, 4)) assert.notEqual(e, 'no error');
      assert.equal(got[4], 'e3b0c442');
    });
  });

  describe('crypto’s stream objects', () => {
    it('take the stream module only when used as streams (update and digest alone never link it), in a bundle of its own and on the shared layer', async () => {
      const text = `import crypto from 'node:crypto';
        // what a lazy base's prototype stands on: nothing of its own until it is linked to stream's class
        const linked = (C) => Object.getOwnPropertyNames(Object.getPrototypeOf(Object.getPrototypeOf(Object.getPrototypeOf(C.prototype)))).length > 0;
        export async function handler() {
          const before = [linked(crypto.Hash), linked(crypto.Cipheriv)];
          crypto.createHash('sha256').update('x').digest('hex');
          crypto.createHmac('sha256', 'k').update('x').digest('hex');
          crypto.createHash('sha256').copy();
          const c = crypto.createCipheriv('aes-128-cbc', Buffer.alloc(16), Buffer.alloc(16));
          c.update('x'); c.update('y'); c.final();
          const d = crypto.createDecipheriv('aes-128-gcm', Buffer.alloc(16), Buffer.alloc(12));
          d.setAuthTag(Buffer.alloc(16));
          const afterUse = [linked(crypto.Hash), linked(crypto.Cipheriv)];
          const h = crypto.createHash('sha256');
          h.end('abc');
          const streamed = await new Promise((r) => h.on('data', (b) => r(b.toString('hex'))));
          return { before, afterUse, after: [linked(crypto.Hash), linked(crypto.Cipheriv)], streamed };
        }`;
      const expected = { before: [false, false], afterUse: [false, false], after: [true, true], streamed: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad' };
      assert.deepEqual(await run((await bundleSource({ 'index.ts': text }, 'index.ts', 'isolate', { sharedLayer: false })).code), expected);
      const shared = await source(text);
      assert.notEqual(sharedLayerOf(shared), null);
      assert.deepEqual(await run(shared), expected);
    });
  });

  describe('spares that hold the shared layer', () => {
    it('two functions on spares from the same pool see only their own env, files and layer state', async () => {
      const rt = createIsolateRuntime({ clock: systemClock, prewarmMemoryMb: [], spares: 2, spareRefillDelayMs: 0, onError: quiet });
      try {
        const fn = (tag: string) => `import fs from 'node:fs';
          import { EventEmitter } from 'node:events';
          import { env } from 'node:process';
          const seen = { env: { ...process.env }, named: env.SECRET, maxListeners: EventEmitter.defaultMaxListeners, files: fs.readdirSync('/bundle').sort(), tmp: fs.readdirSync('/tmp'), mark: globalThis.mark ?? null, filesDoor: typeof globalThis.__nimbus_node_files };
          process.env.LEFT = '${tag}'; EventEmitter.defaultMaxListeners = 99; fs.writeFileSync('/tmp/${tag}', '${tag}'); globalThis.mark = '${tag}';
          export async function handler() { return seen; }`;
        const a = (await bundleSource({ 'index.ts': fn('a'), 'a.txt': 'only a' }, 'index.ts')).code;
        const b = (await bundleSource({ 'index.ts': fn('b') }, 'index.ts')).code;
        assert.equal(usesNodeLayer(a), true);
        assert.notEqual(sharedLayerOf(a), null, 'built against the shared layer');
        // a deploy's check makes the pool keep spares of the shared layer's kind
        await rt.inspect(a, { ...baseConfig, memoryMb: 64 });
        while (rt.sparesReady(64, 'node-core') < 2) await new Promise((r) => setTimeout(r, 5));
        const taken = rt.sparesTaken();
        const [ha, hb] = [await startWith(rt, a, { env: { SECRET: 'for-a' } }), await startWith(rt, b, { env: { SECRET: 'for-b', ONLY_B: '1' } })];
        assert.equal(rt.sparesTaken(), taken + 2, 'both started on spares');
        const got = await Promise.all([ha, hb].map(async (h) => handlerValue(await h.instance.invoke(eventCall(`n-${Math.random()}`, null)))));
        assert.deepEqual(got[0], { env: { SECRET: 'for-a' }, named: 'for-a', maxListeners: 10, files: ['a.txt', 'index.ts'], tmp: [], mark: null, filesDoor: 'undefined' });
        assert.deepEqual(got[1], { env: { SECRET: 'for-b', ONLY_B: '1' }, named: 'for-b', maxListeners: 10, files: ['index.ts'], tmp: [], mark: null, filesDoor: 'undefined' });
        for (const h of [ha, hb]) h.instance.dispose();
      } finally {
        await rt.close();
      }
    });

    it('a function whose few built-ins weigh little carries them, and takes a plain spare', async () => {
      const code = await source(`import { Buffer } from 'node:buffer'; export async function handler() { return Buffer.from(process.env.SECRET).length; }`);
      assert.equal(usesNodeLayer(code), true);
      assert.equal(sharedLayerOf(code), null);
      assert.equal(await run(code, null, { SECRET: 'abc' }), 3);
    });

    it('a function that imports async_hooks takes spares of the layer with async functions lowered, and its store follows each await', async () => {
      const rt = createIsolateRuntime({ clock: systemClock, prewarmMemoryMb: [], spares: 1, spareRefillDelayMs: 0, onError: quiet });
      try {
        const code = await source(`import { AsyncLocalStorage } from 'node:async_hooks';
          import { Readable } from 'node:stream';
          const als = new AsyncLocalStorage(); void Readable;
          export async function handler() { return als.run('x', async () => { await null; await new Promise((r) => setTimeout(r, 1)); return [als.getStore(), process.env.SECRET]; }); }`);
        assert.equal(sharedLayerOf(code)?.kind, 'node-async-core');
        await rt.inspect(code, { ...baseConfig, memoryMb: 64 });
        while (rt.sparesReady(64, 'node-async-core') < 1) await new Promise((r) => setTimeout(r, 5));
        assert.equal(rt.sparesReady(64, 'node-core'), 0);
        const taken = rt.sparesTaken();
        const h = await startWith(rt, code, { env: { SECRET: 'als' } });
        assert.equal(rt.sparesTaken(), taken + 1);
        assert.deepEqual(handlerValue(await h.instance.invoke(eventCall('n-als', null))), ['x', 'als']);
        h.instance.dispose();
      } finally {
        await rt.close();
      }
    });

    it('a start that finds no spare of its kind takes a plain one and runs the layer on it; with none at all it makes its own', async () => {
      // refills far off: the spares are the prewarmed plain one and nothing else
      const rt = createIsolateRuntime({ clock: systemClock, prewarmMemoryMb: [64], spares: 1, spareRefillDelayMs: 600_000, onError: quiet });
      try {
        const code = await source(`import { AsyncLocalStorage } from 'node:async_hooks';
          import { Readable } from 'node:stream';
          const als = new AsyncLocalStorage(); void Readable;
          export async function handler() { return als.run('x', async () => { await null; return [als.getStore(), process.env.SECRET, typeof globalThis.__nimbus_node_files]; }); }`);
        assert.equal(sharedLayerOf(code)?.kind, 'node-async-core');
        while (rt.sparesReady(64) < 1) await new Promise((r) => setTimeout(r, 5));
        assert.equal(rt.sparesReady(64, 'node-async-core'), 0);
        const a = await startWith(rt, code, { env: { SECRET: 'a' } });
        assert.equal(rt.sparesTaken(), 1, 'the plain spare was taken');
        assert.equal(rt.sparesReady(64), 0);
        const b = await startWith(rt, code, { env: { SECRET: 'b' } });
        assert.equal(rt.sparesTaken(), 1, 'no spare left: the second start made its own isolate');
        assert.deepEqual(handlerValue(await a.instance.invoke(eventCall('n-plain-spare', null))), ['x', 'a', 'undefined']);
        assert.deepEqual(handlerValue(await b.instance.invoke(eventCall('n-own', null))), ['x', 'b', 'undefined']);
        for (const h of [a, b]) h.instance.dispose();
      } finally {
        await rt.close();
      }
    });

    it('a function takes the smallest tier of the layer that holds its built-ins: the core, the core with crypto and zlib, or the whole layer', async () => {
      const rt = createIsolateRuntime({ clock: systemClock, prewarmMemoryMb: [], spares: 1, spareRefillDelayMs: 0, onError: quiet });
      try {
        const listed = `Object.keys(globalThis[Symbol.for('nimbus.node.layer')]).filter((n) => ['stream', 'events', 'crypto', 'zlib', 'net', 'os'].includes(n)).sort()`;
        const core = await source(`import { Readable } from 'node:stream'; export async function handler() { return [typeof Readable, ${listed}]; }`);
        const crypto = await source(`import { Readable } from 'node:stream'; import { createHash } from 'node:crypto'; import { gzipSync } from 'node:zlib';
          export async function handler() { return [typeof Readable, createHash('sha256').update('a').digest('hex').slice(0, 8), gzipSync('a').length > 0, ${listed}]; }`);
        const whole = await source(`import { createHash } from 'node:crypto'; import net from 'node:net';
          export async function handler() { return [typeof net.Socket, createHash('sha256').update('a').digest('hex').slice(0, 8), ${listed}]; }`);
        assert.equal(sharedLayerOf(core)?.kind, 'node-core');
        assert.equal(sharedLayerOf(crypto)?.kind, 'node-crypto');
        assert.equal(sharedLayerOf(whole)?.kind, 'node');
        // a platform that knows no tiers reads the last line alone: the whole layer, which holds them all;
        // one that knows only the core tier finds no core line before it (whole layer too)
        assert.match(core, /\n\/\/# nimbus-node-layer-core\n\/\/# nimbus-node-layer-shared node v1\n$/);
        assert.match(crypto, /\n\/\/# nimbus-node-layer-crypto\n\/\/# nimbus-node-layer-shared node v1\n$/);
        assert.match(whole, /[^e]\n\/\/# nimbus-node-layer-shared node v1\n$/);
        for (const code of [core, crypto, whole]) await rt.inspect(code, { ...baseConfig, memoryMb: 64 });
        while (rt.sparesReady(64, 'node-core') < 1 || rt.sparesReady(64, 'node-crypto') < 1 || rt.sparesReady(64, 'node') < 1) await new Promise((r) => setTimeout(r, 5));
        const taken = rt.sparesTaken();
        const [hc, hk, hw] = [await startWith(rt, core), await startWith(rt, crypto), await startWith(rt, whole)];
        assert.equal(rt.sparesTaken(), taken + 3, 'each on a spare of its kind');
        assert.deepEqual(handlerValue(await hc.instance.invoke(eventCall('n-core', null))), ['function', ['events', 'stream']]);
        assert.deepEqual(handlerValue(await hk.instance.invoke(eventCall('n-crypto', null))), ['function', 'ca978112', true, ['crypto', 'events', 'stream', 'zlib']]);
        assert.deepEqual(handlerValue(await hw.instance.invoke(eventCall('n-whole', null))), ['function', 'ca978112', ['crypto', 'events', 'net', 'os', 'stream', 'zlib']]);
        for (const h of [hc, hk, hw]) h.instance.dispose();
      } finally {
        await rt.close();
      }
    });

    it("the layer's registry holds each module's exports as plain values (no getter per export), frozen, every name the module exports", async () => {
      const exported = await sharedExports();
      const modules = sharedModules('node');
      const expected = Object.fromEntries(Object.entries(modules).map(([name, file]) => [name, [...(exported.get(file) ?? [])].sort()]));
      const code = await source(`import net from 'node:net'; import { createHash } from 'node:crypto';
        export async function handler() {
          const layer = globalThis[Symbol.for('nimbus.node.layer')];
          const out = {};
          for (const [name, m] of Object.entries(layer)) {
            const ds = Object.getOwnPropertyDescriptors(m);
            out[name] = { frozen: Object.isFrozen(m), getters: Object.values(ds).filter((d) => 'get' in d).length, names: Object.keys(ds).sort() };
          }
          return [typeof net.Socket, createHash('sha256').update('a').digest('hex').slice(0, 8), out];
        }`);
      assert.equal(sharedLayerOf(code)?.kind, 'node');
      const [socket, digest, out] = (await run(code, null)) as [string, string, Record<string, { frozen: boolean; getters: number; names: string[] }>];
      assert.deepEqual([socket, digest], ['function', 'ca978112']);
      assert.deepEqual(Object.keys(out).sort(), Object.keys(modules).sort());
      for (const [name, m] of Object.entries(out)) assert.deepEqual(m, { frozen: true, getters: 0, names: expected[name] }, name);
    });

    it("the layer's code copies no CommonJS package into an ES namespace (a getter per property): the packages it wraps are required", async () => {
      for (const kind of LAYER_KINDS) assert.doesNotMatch((await sharedLayer(kind)).code, /__toESM\(/, kind);
    });

    it('a function that imports async_hooks and crypto takes the crypto tier of the async layer', async () => {
      const code = await source(`import { AsyncLocalStorage } from 'node:async_hooks'; import { createHmac } from 'node:crypto';
        const als = new AsyncLocalStorage();
        export async function handler() { return als.run('k', async () => { await null; return createHmac('sha256', als.getStore()).update('a').digest('hex').slice(0, 8); }); }`);
      assert.equal(sharedLayerOf(code)?.kind, 'node-async-crypto');
      assert.match(code, /\n\/\/# nimbus-node-layer-crypto\n\/\/# nimbus-node-layer-shared node-async v1\n$/);
      assert.equal(await run(code, null), createHmac('sha256', 'k').update('a').digest('hex').slice(0, 8));
    });

    it('a bundle built against another version of the layer\'s contract is refused, naming the fix', async () => {
      const code = await source(`import { Readable } from 'node:stream'; export async function handler() { return typeof Readable; }`);
      const other = code.replace(/nimbus-node-layer-shared node v1\n$/, 'nimbus-node-layer-shared node v0\n');
      assert.deepEqual(sharedLayerOf(other), { kind: 'node-core', contract: 0 });
      await assert.rejects(startWith(runtime, other), (e: Error & { code?: string }) => e.code === 'NIMBUS_ERR_FUNCTION_INIT' && /deploy it again/.test(e.message));
    });
  });

  describe('AsyncLocalStorage', () => {
    it('carries the store across awaits, timers, host callbacks (fetch) and concurrent runs', async () => {
      const code = await source(`import { AsyncLocalStorage } from 'node:async_hooks';
        const als = new AsyncLocalStorage();
        const tick = () => new Promise((r) => setTimeout(r, 1));
        async function inner(tag) {
          const seen = [als.getStore()];
          await tick();
          seen.push(als.getStore());
          await fetch('https://example.com/' + tag);
          seen.push(als.getStore());
          await new Promise((r) => queueMicrotask(r));
          seen.push(als.getStore());
          return seen;
        }
        export async function handler() {
          const [a, b] = await Promise.all([als.run('A', () => inner('a')), als.run('B', () => inner('b'))]);
          const nested = await als.run('outer', async () => { await tick(); return als.run('inner', async () => { await tick(); return als.getStore(); }); });
          return { a, b, nested, outside: als.getStore() ?? null };
        }`);
      assert.deepEqual(await run(code), { a: ['A', 'A', 'A', 'A'], b: ['B', 'B', 'B', 'B'], nested: 'inner', outside: null });
    });
  });
});
