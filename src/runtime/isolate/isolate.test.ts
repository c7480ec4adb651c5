/**
 * The isolate runtime: the port's contract suite, then what only isolates promise —
 * Web APIs (checked against Node's own implementations), an unmodified Hono app,
 * isolation, limits that do not stall the host, binary and 6 MB bodies, spares.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FakeClock, systemClock } from '../../core/clock.ts';
import { bundlePath } from '../../deploy/bundle.ts';
import {
  baseConfig,
  bundle,
  eventCall,
  fetchResponse,
  handlerValue,
  httpCall,
  rejectsWith,
  runtimeContract,
  startWith,
} from '../contract.ts';
import { specProbes } from './fixtures/webapi/probes-encoding.ts';
import { probes } from './fixtures/webapi/probes.ts';
import { createIsolateRuntime } from './index.ts';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const quiet = () => undefined;

runtimeContract('isolate', () => createIsolateRuntime({ clock: systemClock, prewarmMemoryMb: [64], onError: quiet }));

describe('isolate runtime', () => {
  const runtime = createIsolateRuntime({ clock: systemClock, prewarmMemoryMb: [64], onError: quiet });
  after(() => runtime.close());

  describe('Web APIs inside the isolate answer as Node does', () => {
    let probe: Awaited<ReturnType<typeof startWith>>;
    before(async () => {
      probe = await startWith(runtime, (await bundlePath(fixture('webapi'))).code);
    });
    after(() => probe.instance.dispose());
    for (const name of Object.keys(probes)) {
      it(name, async () => {
        const expected = JSON.parse(JSON.stringify(await probes[name]()));
        assert.deepEqual(handlerValue(await probe.instance.invoke(eventCall(`probe-${name}`, name))), expected);
      });
    }
    for (const [name, { expected }] of Object.entries(specProbes)) {
      it(`${name} (as the standards say)`, async () => {
        assert.deepEqual(handlerValue(await probe.instance.invoke(eventCall(`probe-${name}`, name))), expected);
      });
    }
  });

  describe('a Hono app runs unmodified', () => {
    let hono: Awaited<ReturnType<typeof startWith>>;
    before(async () => {
      hono = await startWith(runtime, (await bundlePath(fixture('hono-app'))).code, { env: { GREETING: 'hello from env' } });
    });
    after(() => hono.instance.dispose());

    it('routes, params, queries, middleware headers', async () => {
      let res = fetchResponse(await hono.instance.invoke(httpCall('h1', { url: 'http://127.0.0.1/' })));
      assert.equal(res.status, 200);
      assert.equal(text(res.body), 'Hello Hono!');
      assert.ok(res.headers.some(([n, v]) => n === 'x-powered-by' && v === 'hono-in-nimbus'));
      res = fetchResponse(await hono.instance.invoke(httpCall('h2', { url: 'http://127.0.0.1/users/42?sort=asc' })));
      assert.deepEqual(JSON.parse(text(res.body)), { id: '42', sort: 'asc' });
      assert.ok(res.headers.some(([n, v]) => n === 'content-type' && v.startsWith('application/json')));
    });

    it('JSON bodies, status codes, env bindings, redirects, 404s and onError', async () => {
      let res = fetchResponse(
        await hono.instance.invoke(
          httpCall('h3', {
            method: 'POST',
            url: 'http://127.0.0.1/echo',
            headers: [['content-type', 'application/json']],
            body: new TextEncoder().encode('{"a":[1,2]}'),
          }),
        ),
      );
      assert.equal(res.status, 201);
      assert.deepEqual(JSON.parse(text(res.body)), { got: { a: [1, 2] }, type: 'application/json' });
      res = fetchResponse(await hono.instance.invoke(httpCall('h4', { url: 'http://127.0.0.1/env' })));
      assert.equal(text(res.body), 'hello from env');
      res = fetchResponse(await hono.instance.invoke(httpCall('h5', { url: 'http://127.0.0.1/redirect' })));
      assert.equal(res.status, 302);
      assert.ok(res.headers.some(([n, v]) => n === 'location' && v === '/'));
      res = fetchResponse(await hono.instance.invoke(httpCall('h6', { url: 'http://127.0.0.1/nope' })));
      assert.equal(res.status, 404);
      res = fetchResponse(await hono.instance.invoke(httpCall('h7', { url: 'http://127.0.0.1/boom' })));
      assert.equal(res.status, 500);
      assert.equal(text(res.body), 'handled: kaboom');
    });
  });

  describe('isolation', () => {
    it('nothing of the host is reachable from user code', async () => {
      const h = await startWith(
        runtime,
        await bundle(`
          export async function handler() {
            const g = globalThis as any;
            const names = Object.getOwnPropertyNames(g);
            return {
              types: ['process', 'require', 'module', 'exports', 'Buffer', 'global', 'setImmediate',
                      '__nb_send', '__nb_random', '__nb_decode', '__nb_sab', '__nimbus_shim', 'ivm', '_ivm']
                .map((n) => [n, typeof g[n]]),
              bridgeNames: names.filter((n) => /^__nb|ivm|isolated|nimbus_shim/i.test(n)),
              indirectEval: (0, eval)('typeof process + typeof require'),
              fnCtor: new Function('return typeof process')(),
              selfIsGlobal: g.self === globalThis,
            };
          }`),
      );
      const v = handlerValue(await h.instance.invoke(eventCall('leak', null))) as Record<string, unknown>;
      for (const [name, type] of v.types as Array<[string, string]>) assert.equal(type, 'undefined', `${name} must not be reachable`);
      assert.deepEqual(v.bridgeNames, []);
      assert.equal(v.indirectEval, 'undefinedundefined');
      assert.equal(v.fnCtor, 'undefined');
      assert.equal(v.selfIsGlobal, true);
      h.instance.dispose();
    });

    it('an event sent as JSON text is parsed by the shim, not by a JSON.parse user code replaced', async () => {
      const h = await startWith(
        runtime,
        await bundle(`
          JSON.parse = () => 'replaced';
          export async function handler(event: unknown) { return { event, parse: JSON.parse('1') }; }`),
      );
      const v = handlerValue(await h.instance.invoke(eventCall('json-1', { a: [1] }, 5_000, '{"a":[1]}'))) as Record<string, unknown>;
      assert.deepEqual(v, { event: { a: [1] }, parse: 'replaced' });
      // not JSON (a caller's mistake): the text itself is the event, as the queue's consumer reads a payload that is not JSON
      const t = handlerValue(await h.instance.invoke(eventCall('json-2', 'x', 5_000, 'not json'))) as Record<string, unknown>;
      assert.equal(t.event, 'not json');
      h.instance.dispose();
    });

    it("one function's globals and env are invisible to another", async () => {
      const code = await bundle(`
        export async function handler(e: string, ctx: any) {
          const g = globalThis as any;
          const before = g.shared;
          if (e === 'write') g.shared = ctx.env.SECRET;
          return { before, env: Object.keys(ctx.env).sort() };
        }`);
      const a = await startWith(runtime, code, { env: { SECRET: 'alpha' } }, undefined, 'a');
      const b = await startWith(runtime, code, { env: { OTHER: 'beta' } }, undefined, 'b');
      assert.deepEqual(handlerValue(await a.instance.invoke(eventCall('a1', 'write'))), { env: ['SECRET'] });
      assert.deepEqual(handlerValue(await a.instance.invoke(eventCall('a2', 'read'))), { before: 'alpha', env: ['SECRET'] });
      assert.deepEqual(handlerValue(await b.instance.invoke(eventCall('b1', 'read'))), { env: ['OTHER'] });
      a.instance.dispose();
      b.instance.dispose();
    });

    it('env cannot be changed by the function', async () => {
      const h = await startWith(
        runtime,
        await bundle(`export default { fetch(_r: Request, env: any) { try { env.GREETING = 'x'; } catch {} return new Response(env.GREETING); } };`),
      );
      assert.equal(text(fetchResponse(await h.instance.invoke(httpCall('env1'))).body), 'hi');
      h.instance.dispose();
    });
  });

  describe('limits never stall the host', () => {
    it('a spinning isolate (sync, and after an await) is stopped at its deadline while others are served', async () => {
      const spinner = await startWith(
        runtime,
        await bundle(`
          export async function handler(e: string) {
            if (e === 'after-await') { await new Promise((r) => setTimeout(r, 1)); }
            console.log('spinning');
            for (;;) {}
          }`),
        { cpuLimitMs: 60_000 },
      );
      const worker = await startWith(runtime, await bundle(`export async function handler(n: number) { return n * 2; }`));
      for (const mode of ['sync', 'after-await']) {
        const s = await startWith(runtime, await bundle(`export async function handler(e: string) {
            if (e === 'after-await') { await new Promise((r) => setTimeout(r, 1)); }
            console.log('spinning');
            for (;;) {}
          }`), { cpuLimitMs: 60_000 });
        let settled = false;
        const spin = s.instance.invoke(eventCall(`spin-${mode}`, mode, 1_500)).finally(() => {
          settled = true;
        });
        spin.catch(() => undefined);
        while (!s.logs.some((l) => l.message === 'spinning')) await new Promise((r) => setImmediate(r));
        // the host keeps serving other instances while that isolate spins
        for (let i = 0; i < 20; i++) assert.equal(handlerValue(await worker.instance.invoke(eventCall(`w${i}`, i))), i * 2);
        assert.equal(settled, false, 'the spinner is still running while the others were served');
        await rejectsWith(spin, 'NIMBUS_ERR_TIMEOUT');
        assert.equal(s.instance.deathReason(), 'timeout');
      }
      spinner.instance.dispose();
      worker.instance.dispose();
    });

    it('the deadline follows the injected clock (FakeClock, deterministic)', async () => {
      const clock = new FakeClock(Date.now());
      const rt = createIsolateRuntime({ clock, spares: 0, onError: quiet });
      try {
        const h = await startWith(rt, await bundle(`export async function handler() { console.log('in'); for (;;) {} }`), { cpuLimitMs: 60_000 });
        const call = eventCall('fake-1', null);
        const pending = h.instance.invoke({ ...call, meta: { ...call.meta, deadline: clock.now() + 1_000 } });
        pending.catch(() => undefined);
        while (h.logs.length === 0) await new Promise((r) => setImmediate(r));
        clock.advance(999);
        assert.equal(h.instance.deathReason(), null);
        clock.advance(1);
        await rejectsWith(pending, 'NIMBUS_ERR_TIMEOUT');
        assert.equal(h.instance.deathReason(), 'timeout');
      } finally {
        await rt.close();
      }
    });

    it('CPU time is charged to the invocation that burns it; a bystander on the instance is INSTANCE_CRASHED', async () => {
      const h = await startWith(
        runtime,
        await bundle(`
          export async function handler(e: string) {
            if (e === 'idle') { await new Promise((r) => setTimeout(r, 3_000)); return 'idle done'; }
            await null;
            for (;;) {}
          }`),
        { cpuLimitMs: 80 },
      );
      const idle = h.instance.invoke(eventCall('idle', 'idle', 10_000));
      await rejectsWith(h.instance.invoke(eventCall('burn', 'burn', 10_000)), 'NIMBUS_ERR_CPU_LIMIT');
      await rejectsWith(idle, 'NIMBUS_ERR_INSTANCE_CRASHED');
      assert.equal(h.instance.deathReason(), 'cpu_limit');
    });

    it('time blocked in Atomics.wait is not charged as CPU: past the CPU limit in wall time, the invocation completes', async () => {
      const h = await startWith(
        runtime,
        await bundle(`
          export async function handler() {
            const cell = new Int32Array(new SharedArrayBuffer(4));
            return Atomics.wait(cell, 0, 0, 400);
          }`),
        { cpuLimitMs: 100 },
      );
      assert.equal(handlerValue(await h.instance.invoke(eventCall('wait', null, 10_000))), 'timed-out');
      assert.equal(h.instance.deathReason(), null);
      // Four times the limit in wall time went by inside the isolate; what is charged is the CPU used.
      const cpu = h.instance.cpuMs!();
      assert.ok(cpu < 100, `charged ${cpu} ms of CPU for a 400 ms wait`);
      h.instance.dispose();
    });

    it('a runaway loop outside any invocation (a module-level timer) is stopped by the CPU watchdog', async () => {
      const h = await startWith(
        runtime,
        await bundle(`
          let armed = false;
          setInterval(() => { if (armed) { console.log('runaway'); for (;;) {} } }, 5);
          export const handler = async () => { armed = true; return 'armed'; };`),
        { cpuLimitMs: 50 },
      );
      assert.equal(handlerValue(await h.instance.invoke(eventCall('arm', null))), 'armed');
      while (h.instance.deathReason() === null) await new Promise((r) => setTimeout(r, 10));
      assert.equal(h.instance.deathReason(), 'cpu_limit');
      assert.deepEqual(h.logs, [{ invocationId: '', level: 'info', message: 'runaway' }]);
    });

    it('module-level timers burning CPU in bursts are bounded over a sliding span: stopped past the limit, with a report', async () => {
      const h = await startWith(
        runtime,
        await bundle(`
          setInterval(() => { const end = Date.now() + 30; while (Date.now() < end) {} console.log('burst'); }, 50);
          export const handler = () => 'ok';`),
        { cpuLimitMs: 100, timeoutMs: 10_000 },
      );
      // Each burst (30 ms) is under the limit; forty of them are twelve times it.
      while (h.instance.deathReason() === null && h.logs.length < 40) await new Promise((r) => setTimeout(r, 10));
      assert.equal(h.instance.deathReason(), 'cpu_limit', `still alive after ${h.logs.length} bursts`);
      const last = h.background.at(-1)!;
      assert.deepEqual([last.overLimit, last.limitMs, last.spanMs], [true, 100, 10_000]);
      const charged = h.background.reduce((n, r) => n + r.cpuMs, 0);
      assert.ok(charged > 100, `reported ${charged} ms`);
      assert.ok(last.fromMs <= last.toMs);
    });

    it('a light module-level timer lives on; its CPU is reported when the instance stops', async () => {
      const h = await startWith(
        runtime,
        await bundle(`
          setInterval(() => { const end = Date.now() + 2; while (Date.now() < end) {} console.log('tick'); }, 20);
          export const handler = () => 'ok';`),
        { cpuLimitMs: 1_000, timeoutMs: 10_000 },
      );
      while (h.logs.length < 5) await new Promise((r) => setTimeout(r, 10));
      assert.equal(h.instance.deathReason(), null);
      assert.equal(h.background.length, 0, 'nothing reported while it runs (every 10 s)');
      h.instance.dispose();
      assert.equal(h.background.length, 1);
      assert.equal(h.background[0].overLimit, false);
      assert.ok(h.background[0].cpuMs > 0);
    });

    it('the runtime\'s own work around invocations is never billed as background CPU', async () => {
      const h = await startWith(
        runtime,
        await bundle(`
          export default { async fetch(req) { const b = await req.text(); await new Promise((r) => setTimeout(r, 1)); return new Response(b.toUpperCase()); } };`),
        { cpuLimitMs: 1_000, timeoutMs: 10_000 },
      );
      for (let round = 0; round < 40; round++) {
        await Promise.all(Array.from({ length: 10 }, (_, i) => h.instance.invoke(httpCall(`r${round}-${i}`, { method: 'POST', body: new TextEncoder().encode('x'.repeat(10_000)) }))));
      }
      h.instance.dispose();
      assert.deepEqual(h.background, [], 'no code of the function ran outside its invocations');
    });

    it('garbage is collected, not mistaken for the memory limit', async () => {
      const h = await startWith(
        runtime,
        await bundle(`
          export async function handler() {
            let n = 0;
            for (let i = 0; i < 200_000; i++) { const o = { s: 'x' + i, a: [i, i + 1] }; n += o.a.length; }
            return n;
          }`),
        { memoryMb: 16 },
      );
      for (let i = 0; i < 6; i++) assert.equal(handlerValue(await h.instance.invoke(eventCall(`gc${i}`, null))), 400_000);
      assert.equal(h.instance.deathReason(), null);
      h.instance.dispose();
    });

    it('a top level that runs out of memory is FUNCTION_INIT saying so', async () => {
      const extra = await rejectsWith(
        startWith(runtime, await bundle(`const hog: number[][] = [];\nfor (;;) hog.push(new Array(100_000).fill(1));\nexport const handler = () => 1;`), { memoryMb: 16 }),
        'NIMBUS_ERR_FUNCTION_INIT',
      );
      assert.equal(extra.errorName, 'MemoryLimit');
    });

    it('a top level that throws is FUNCTION_INIT naming the bundle line, its source file and its text', async () => {
      const extra = await rejectsWith(
        startWith(runtime, await bundle(`const ready = false;\nif (!ready) throw new TypeError('boom at init');\nexport const handler = () => 1;`)),
        'NIMBUS_ERR_FUNCTION_INIT',
      );
      assert.equal(extra.errorName, 'TypeError');
      assert.equal(extra.errorMessage, 'boom at init');
      assert.equal(typeof extra.line, 'number');
      assert.match(String(extra.sourceFile), /\.ts$/);
      assert.equal(extra.lineText, 'if (!ready) throw new TypeError("boom at init");'); // esbuild's quotes
    });

    it('a top level that never finishes is FUNCTION_INIT', async () => {
      const rt = createIsolateRuntime({ clock: systemClock, spares: 0, initTimeoutMs: 100, onError: quiet });
      try {
        await rejectsWith(startWith(rt, await bundle(`for (;;) {}\nexport const handler = () => 1;`)), 'NIMBUS_ERR_FUNCTION_INIT');
      } finally {
        await rt.close();
      }
    });
  });

  describe('bodies', () => {
    let echo: Awaited<ReturnType<typeof startWith>>;
    before(async () => {
      echo = await startWith(
        runtime,
        await bundle(`
          export default { async fetch(req: Request) {
            const bytes = new Uint8Array(await req.arrayBuffer());
            return new Response(bytes, { headers: { 'content-type': 'application/octet-stream', 'x-len': String(bytes.length) } });
          } };`),
        { memoryMb: 128 },
      );
    });
    after(() => echo.instance.dispose());

    it('binary bodies round-trip byte for byte', async () => {
      const body = new Uint8Array(1024);
      for (let i = 0; i < body.length; i++) body[i] = i % 256;
      const res = fetchResponse(await echo.instance.invoke(httpCall('bin', { method: 'POST', body })));
      assert.deepEqual(res.body, body);
    });

    it('a 6 MB body goes in and out; one over the limit is refused', async () => {
      const body = new Uint8Array(6 * 1024 * 1024);
      for (let i = 0; i < body.length; i += 4096) body[i] = (i / 4096) % 251;
      const res = fetchResponse(await echo.instance.invoke(httpCall('big', { method: 'POST', body }), ));
      assert.equal(res.body.byteLength, body.byteLength);
      assert.ok(Buffer.from(res.body).equals(Buffer.from(body)));
      await rejectsWith(
        echo.instance.invoke(httpCall('too-big', { method: 'POST', body: new Uint8Array(6 * 1024 * 1024 + 1) })),
        'NIMBUS_ERR_PAYLOAD_TOO_LARGE',
      );
    });

    it('a Node Buffer that is a view into a larger pool is sent as exactly its bytes', async () => {
      const pool = Buffer.from('xxxxHELLOyyyy');
      const res = fetchResponse(await echo.instance.invoke(httpCall('view', { method: 'POST', body: pool.subarray(4, 9) })));
      assert.equal(text(res.body), 'HELLO');
    });
  });

  describe('console', () => {
    it('formats objects, errors and printf-style arguments', async () => {
      const h = await startWith(
        runtime,
        await bundle(`
          export async function handler() {
            console.log('%s is %d years', 'Ann', 42);
            console.log({ nested: { deep: { deeper: { deepest: 1 } } }, list: [1, 'two', null, undefined] });
            console.error(new RangeError('out of range'));
            console.log(new Map([['k', 1]]), new Set(['s']), [1, [2, [3]]], 10n, Symbol('sym'), () => 1);
            const cyc: any = { name: 'c' }; cyc.self = cyc; console.warn(cyc);
            console.log(new Uint8Array([1, 2]), new Date(0), /re/g, null, undefined, true);
            console.log('%o and %j and 100%%', { a: 1 }, { b: 2 });
            return null;
          }`),
      );
      await h.instance.invoke(eventCall('fmt', null));
      const msgs = h.logs.map((l) => l.message);
      assert.equal(msgs[0], 'Ann is 42 years');
      // One plain object is a structured log line: JSON (docs/observability.md).
      assert.equal(msgs[1], '{"nested":{"deep":{"deeper":{"deepest":1}}},"list":[1,"two",null,null]}');
      assert.match(msgs[2], /^RangeError: out of range\n\s+at /);
      assert.equal(h.logs[2].level, 'error');
      assert.equal(msgs[3], "Map(1) { 'k' => 1 } Set(1) { 's' } [ 1, [ 2, [ 3 ] ] ] 10n Symbol(sym) [Function (anonymous)]");
      assert.equal(msgs[4], "{ name: 'c', self: [Circular *] }");
      assert.equal(msgs[5], 'Uint8Array(2) [ 1, 2 ] 1970-01-01T00:00:00.000Z /re/g null undefined true');
      assert.equal(msgs[6], '{ a: 1 } and {"b":2} and 100%');
      h.instance.dispose();
    });

    it('caps a runaway logger per invocation with one warning line', async () => {
      const h = await startWith(runtime, await bundle(`export async function handler(n: number) { for (let i = 0; i < n; i++) console.log(i); return n; }`));
      await h.instance.invoke(eventCall('flood', 10_005));
      assert.equal(h.logs.length, 10_001);
      assert.equal(h.logs[9_999].message, '9999');
      assert.equal(h.logs[10_000].level, 'warn');
      assert.match(h.logs[10_000].message, /log limit reached/);
      await h.instance.invoke(eventCall('next', 2));
      assert.deepEqual(h.logs.slice(10_001).map((l) => [l.invocationId, l.message]), [['next', '0'], ['next', '1']]);
      h.instance.dispose();
    });

    it('logs from timers and waitUntil work are attributed to their invocation, even when interleaved', async () => {
      const h = await startWith(
        runtime,
        await bundle(`
          export default { async fetch(req: Request, _env: unknown, ctx: any) {
            const tag = new URL(req.url).searchParams.get('tag');
            await new Promise((r) => setTimeout(r, tag === 'a' ? 30 : 10));
            console.log('after timer', tag);
            ctx.waitUntil(new Promise((r) => setTimeout(r, 5)).then(() => console.log('bg', tag)));
            return new Response(tag);
          } };`),
      );
      const [a, b] = await Promise.all([
        h.instance.invoke(httpCall('inv-a', { url: 'http://x/?tag=a' })),
        h.instance.invoke(httpCall('inv-b', { url: 'http://x/?tag=b' })),
      ]);
      await Promise.all([a.background, b.background]);
      const byMessage = Object.fromEntries(h.logs.map((l) => [l.message, l.invocationId]));
      assert.deepEqual(byMessage, { 'after timer a': 'inv-a', 'after timer b': 'inv-b', 'bg a': 'inv-a', 'bg b': 'inv-b' });
      h.instance.dispose();
    });
  });

  describe('lifecycle', () => {
    it('timers of a finished invocation are dropped; an interval does not outlive its call', async () => {
      const h = await startWith(
        runtime,
        await bundle(`
          export async function handler(e: string) {
            if (e === 'start') { setInterval(() => console.log('tick'), 1); setTimeout(() => console.log('late'), 5); return 'started'; }
            await new Promise((r) => setTimeout(r, 40));
            return 'waited';
          }`),
      );
      assert.equal(handlerValue(await h.instance.invoke(eventCall('t-start', 'start'))), 'started');
      assert.equal(handlerValue(await h.instance.invoke(eventCall('t-wait', 'wait'))), 'waited');
      assert.deepEqual(h.logs.map((l) => l.message), []);
      h.instance.dispose();
    });

    it('waitUntil work still running at the deadline stops the instance; background settles', async () => {
      const h = await startWith(
        runtime,
        await bundle(`export default { fetch(_r: Request, _e: unknown, ctx: any) { ctx.waitUntil(new Promise(() => {})); return new Response('sent'); } };`),
      );
      const result = await h.instance.invoke(httpCall('bg-hang', {}, 150));
      assert.equal(text(fetchResponse(result).body), 'sent');
      await result.background;
      assert.equal(h.instance.deathReason(), 'timeout');
      assert.ok(h.logs.some((l) => l.invocationId === 'bg-hang' && l.level === 'error' && /waitUntil/.test(l.message)));
    });

    it("stack traces name the function's own file, even for code cached under another name", async () => {
      const rt = createIsolateRuntime({ clock: systemClock, onError: quiet });
      try {
        const code = await bundle(`export const handler = async () => new Error('here').stack;`);
        await rt.inspect(code, baseConfig, 'alpha');
        const alpha = await startWith(rt, code, {}, undefined, 'alpha');
        const beta = await startWith(rt, code, {}, undefined, 'beta');
        assert.match(String(handlerValue(await alpha.instance.invoke(eventCall('a', null)))), /\(alpha\.js:\d+:\d+\)/);
        assert.match(String(handlerValue(await beta.instance.invoke(eventCall('b', null)))), /\(beta\.js:\d+:\d+\)/);
      } finally {
        await rt.close();
      }
    });

    it('keeps prepared spares per memory size and refills them after a start', async () => {
      const rt = createIsolateRuntime({ clock: systemClock, spares: 1, prewarmMemoryMb: [48], onError: quiet });
      try {
        while (rt.sparesReady(48) < 1) await new Promise((r) => setTimeout(r, 5));
        const code = await bundle(`setTimeout(() => console.log('top-level timer'), 0);\nexport const handler = async () => 'warm';`);
        assert.deepEqual(await rt.inspect(code, { ...baseConfig, memoryMb: 48 }), { fetch: false, handler: true });
        assert.equal(rt.sparesReady(48), 1, "a deploy's check leaves the spare to the first request");
        const h = await startWith(rt, code, { memoryMb: 48 });
        // (the refill may already have made the next spare: count what was taken instead)
        assert.equal(rt.sparesTaken(), 1, 'the start took the spare');
        while (rt.sparesReady(48) < 1) await new Promise((r) => setTimeout(r, 5));
        // a module started on a refilled spare: its top level runs as no invocation
        const again = await startWith(rt, code, { memoryMb: 48 });
        for (let i = 0; i < 200 && again.logs.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
        assert.deepEqual(again.logs, [{ invocationId: '', level: 'info', message: 'top-level timer' }]);
        again.instance.dispose();
        assert.equal(handlerValue(await h.instance.invoke(eventCall('sp', null))), 'warm');
        assert.equal(rt.liveInstances(), 1);
        await rt.close();
        assert.equal(h.instance.deathReason(), 'disposed', 'close() releases the instances too');
      } finally {
        await rt.close();
      }
    });

    it('keeps a spare more for each instance that went away (not for a deploy check), up to sparesMax', async () => {
      // no burst window: only instances gone raise the count here
      const rt = createIsolateRuntime({ clock: systemClock, spares: 1, sparesMax: 3, spareBurstWindowMs: 0, spareRefillDelayMs: 0, prewarmMemoryMb: [48], onError: quiet });
      try {
        const code = await bundle(`export const handler = async () => 'back';`);
        const config = { ...baseConfig, memoryMb: 48 };
        for (let i = 0; i < 3; i++) await rt.inspect(code, config);
        assert.equal(rt.sparesWanted(48), 1, "deploy checks' isolates going away do not count");
        const started = [];
        for (let i = 0; i < 4; i++) started.push(await startWith(rt, code, { memoryMb: 48 }));
        assert.equal(rt.sparesWanted(48), 1, 'starts one after another are no burst here');
        for (const s of started) s.instance.dispose();
        assert.equal(rt.sparesWanted(48), 3, 'four gone, capped at 3');
        while (rt.sparesReady(48) < 3) await new Promise((r) => setTimeout(r, 5));
        const back = await startWith(rt, code, { memoryMb: 48 });
        assert.equal(handlerValue(await back.instance.invoke(eventCall('back', null))), 'back');
        assert.equal(rt.sparesWanted(48), 3, 'three still away after one came back');
      } finally {
        await rt.close();
      }
    });
  });
});
