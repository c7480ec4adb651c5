/**
 * The Runtime port's contract suite: every promise port.ts makes, checked against any
 * implementation. An adapter's test file calls
 *
 *   runtimeContract('isolate', () => createIsolateRuntime({ clock: systemClock }));
 *
 * The runtime must run on the system clock (deadlines here are Date.now()-based). Code is
 * bundled with the real deploy bundler, as the platform does.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it as nodeIt } from 'node:test';
import { isNimbusError, type ErrorCode } from '../core/errors.ts';
import type { FunctionConfig, LogLevel } from '../core/types.ts';
import { bundleSource } from '../deploy/bundle.ts';
import type { BackgroundReport, HttpRequestData, HttpResponseData, Instance, InstanceCall, InstanceResult, InstanceSpec, InvocationMeta, Runtime } from './port.ts';

export const baseConfig: FunctionConfig = Object.freeze({
  memoryMb: 64,
  timeoutMs: 5_000,
  cpuLimitMs: 5_000,
  env: Object.freeze({ GREETING: 'hi', SECRET: 's3cr3t' }),
  concurrency: 8,
  targetConcurrency: 4,
  minInstances: 0,
  maxInstances: 10,
  idleTimeoutMs: 60_000,
  runtime: 'isolate',
});

export async function bundle(source: string): Promise<string> {
  return (await bundleSource({ 'index.ts': source }, 'index.ts')).code;
}

export interface LogEntry {
  readonly invocationId: string;
  readonly level: LogLevel;
  readonly message: string;
}

export interface Harness {
  readonly logs: LogEntry[];
  readonly fetches: Array<{ request: HttpRequestData; invocationId: string }>;
  readonly instance: Instance;
  /** What the instance reported of its code's CPU outside invocations (onBackground). */
  readonly background: BackgroundReport[];
}

let counter = 0;

export async function startWith(
  runtime: Runtime,
  code: string,
  config: Partial<FunctionConfig> = {},
  fetch?: (request: HttpRequestData) => Promise<HttpResponseData>,
  functionName = 'fn',
  /** More of the spec (outbound sockets, …). */
  more: Partial<Pick<InstanceSpec, 'connect' | 'lookup' | 'resolve' | 'connectWebSocket'>> = {},
): Promise<Harness> {
  const logs: LogEntry[] = [];
  const fetches: Harness['fetches'] = [];
  const background: BackgroundReport[] = [];
  const instance = await runtime.start({
    instanceId: `inst-${++counter}`,
    functionName,
    version: 3,
    code,
    config: { ...baseConfig, ...config },
    onLog: (invocationId, level, message) => logs.push({ invocationId, level, message }),
    onBackground: (r) => background.push(r),
    fetch: async (request, invocationId) => {
      fetches.push({ request, invocationId });
      if (fetch) return fetch(request);
      return { status: 200, statusText: 'OK', headers: [['content-type', 'text/plain']], body: new TextEncoder().encode('upstream') };
    },
    ...more,
  });
  return { logs, fetches, instance, background };
}

export function meta(invocationId: string, timeoutMs = 5_000, functionName = 'fn'): InvocationMeta {
  return { invocationId, functionName, version: 3, deadline: Date.now() + timeoutMs, attempt: 1, memoryMb: 64 };
}

export function httpCall(
  invocationId: string,
  request: Partial<HttpRequestData> = {},
  timeoutMs = 5_000,
): InstanceCall {
  return {
    mode: 'fetch',
    request: {
      method: request.method ?? 'GET',
      url: request.url ?? 'http://127.0.0.1:8080/fn/fn/path?q=1',
      headers: request.headers ?? [],
      body: request.body ?? null,
      ...(request.stream === undefined ? {} : { stream: request.stream }),
    },
    meta: meta(invocationId, timeoutMs),
  };
}

/** `eventJson`: the event as JSON text too (InstanceCall's eventJson). */
export function eventCall(invocationId: string, event: unknown, timeoutMs = 5_000, eventJson?: string): InstanceCall {
  return eventJson === undefined ? { mode: 'handler', event, meta: meta(invocationId, timeoutMs) } : { mode: 'handler', event, meta: meta(invocationId, timeoutMs), eventJson };
}

export async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isNimbusError(error), `expected a NimbusError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return error.extra;
  }
  assert.fail(`expected ${code}, but it resolved`);
}

export function fetchResponse(result: InstanceResult): HttpResponseData {
  assert.equal(result.mode, 'fetch');
  return (result as { response: HttpResponseData }).response;
}

export function handlerValue(result: InstanceResult): unknown {
  assert.equal(result.mode, 'handler');
  return (result as { value: unknown }).value;
}

/** Starts an instance of `code`, calls its handler once with `event`, disposes it: the handler's value. */
export async function handlerOnce(runtime: Runtime, code: string, event: unknown = null): Promise<unknown> {
  const h = await startWith(runtime, code);
  try {
    return handlerValue(await h.instance.invoke(eventCall(`once-${++counter}`, event)));
  } finally {
    h.instance.dispose();
  }
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

const BOTH = `
export default {
  async fetch(request: Request, env: Record<string, string>, ctx: any) {
    const body = request.method === 'GET' ? '' : await request.text();
    return new Response(JSON.stringify({
      method: request.method, url: request.url, x: request.headers.get('x-test'), body,
      greeting: env.GREETING, frozen: Object.isFrozen(env),
      ctx: { id: ctx.invocationId, fn: ctx.functionName, version: ctx.version, remaining: ctx.getRemainingTimeInMillis() },
    }), { status: 201, statusText: 'Made', headers: { 'content-type': 'application/json', 'x-out': 'yes' } });
  },
};
export async function handler(event: any, context: any) {
  return {
    event,
    id: context.invocationId, aws: context.awsRequestId, fn: context.functionName, version: context.functionVersion,
    mem: context.memoryLimitInMB, attempt: context.attempt, greeting: context.env.GREETING,
    remaining: context.getRemainingTimeInMillis(),
  };
}
`;

/**
 * `skip`: promises an implementation does not keep by design, by test name, each with the
 * reason (shown as the skip message), e.g. a process runtime whose outbound network is its own.
 */
export function runtimeContract(name: string, make: () => Runtime | Promise<Runtime>, options: { readonly skip?: Readonly<Record<string, string>> } = {}): void {
  const skip = options.skip ?? {};
  const it = (title: string, fn: () => Promise<void>) => (skip[title] === undefined ? nodeIt(title, fn) : nodeIt(title, { skip: skip[title] }, fn));
  describe(`Runtime contract: ${name}`, () => {
    let runtime: Runtime;
    let both: string;
    before(async () => {
      runtime = await make();
      both = await bundle(BOTH);
    });
    after(async () => {
      await runtime.close();
    });

    describe('inspect', () => {
      it('reports which entry points a module exports', async () => {
        assert.deepEqual(await runtime.inspect(both, baseConfig), { fetch: true, handler: true });
        const fetchOnly = await bundle(`export default { fetch: () => new Response('x') };`);
        assert.deepEqual(await runtime.inspect(fetchOnly, baseConfig), { fetch: true, handler: false });
        const handlerOnly = await bundle(`export const handler = async () => 1;`);
        assert.deepEqual(await runtime.inspect(handlerOnly, baseConfig), { fetch: false, handler: true });
      });

      it('rejects a module with neither export as INVALID_FUNCTION', async () => {
        await rejectsWith(runtime.inspect(await bundle(`export const x = 1;`), baseConfig), 'NIMBUS_ERR_INVALID_FUNCTION');
        await rejectsWith(runtime.inspect(await bundle(`export default { notFetch() {} };`), baseConfig), 'NIMBUS_ERR_INVALID_FUNCTION');
      });

      it('rejects a throwing top level as FUNCTION_INIT with name, message and line', async () => {
        const code = await bundle(`const x = 1;\nif (x) throw new TypeError('bad config');\nexport const handler = () => x;`);
        const extra = await rejectsWith(runtime.inspect(code, baseConfig), 'NIMBUS_ERR_FUNCTION_INIT');
        assert.equal(extra.errorName, 'TypeError');
        assert.equal(extra.errorMessage, 'bad config');
        assert.equal(typeof extra.line, 'number');
      });
    });

    describe('start', () => {
      it('starts an instance with the spec id and a measured init time', async () => {
        const h = await startWith(runtime, both);
        assert.match(h.instance.id, /^inst-/);
        assert.ok(h.instance.initMs >= 0);
        assert.equal(h.instance.deathReason(), null);
        h.instance.dispose();
      });

      it('rejects with FUNCTION_INIT when the top level throws', async () => {
        const code = await bundle(`throw new Error('no db');\nexport const handler = () => 1;`);
        const extra = await rejectsWith(startWith(runtime, code), 'NIMBUS_ERR_FUNCTION_INIT');
        assert.equal(extra.errorMessage, 'no db');
      });
    });

    describe('invoke', () => {
      let h: Harness;
      before(async () => {
        h = await startWith(runtime, both);
      });
      after(() => h.instance.dispose());

      it('fetch mode: the function sees the request, env and ctx; its Response comes back', async () => {
        const result = await h.instance.invoke(
          httpCall('inv-f1', { method: 'POST', headers: [['X-Test', 'abc']], body: new TextEncoder().encode('payload') }),
        );
        const res = fetchResponse(result);
        assert.equal(res.status, 201);
        assert.equal(res.statusText, 'Made');
        assert.deepEqual(
          res.headers.filter(([n]) => n.toLowerCase() === 'x-out'),
          [['x-out', 'yes']],
        );
        const seen = JSON.parse(text(res.body));
        assert.equal(seen.method, 'POST');
        assert.equal(seen.url, 'http://127.0.0.1:8080/fn/fn/path?q=1');
        assert.equal(seen.x, 'abc');
        assert.equal(seen.body, 'payload');
        assert.equal(seen.greeting, 'hi');
        assert.equal(seen.frozen, true);
        assert.equal(seen.ctx.id, 'inv-f1');
        assert.equal(seen.ctx.fn, 'fn');
        assert.equal(seen.ctx.version, 3);
        assert.ok(seen.ctx.remaining > 0 && seen.ctx.remaining <= 5_000);
      });

      it('handler mode: the event goes in, the value comes out, context is filled', async () => {
        const value = handlerValue(await h.instance.invoke(eventCall('inv-h1', { n: 1, list: ['a'] }))) as Record<string, unknown>;
        assert.deepEqual(value.event, { n: 1, list: ['a'] });
        assert.equal(value.id, 'inv-h1');
        assert.equal(value.aws, 'inv-h1');
        assert.equal(value.fn, 'fn');
        assert.equal(value.version, '3');
        assert.equal(value.mem, '64');
        assert.equal(value.attempt, 1);
        assert.equal(value.greeting, 'hi');
        assert.ok((value.remaining as number) > 0);
      });

      it('handler mode with the event as JSON text too: the same event goes in, context as before', async () => {
        const event = { n: 1, list: ['a', { deep: [null, true, -0.5] }], text: 'line\nnext', ['__proto__']: { own: 1 } };
        const json = '{"n": 1,\n "list": ["a", {"deep": [null, true, -0.5]}], "text": "line\\nnext", "__proto__": {"own": 1}}';
        assert.deepEqual(JSON.parse(json), event);
        const value = handlerValue(await h.instance.invoke(eventCall('inv-h2', event, 5_000, json))) as Record<string, unknown>;
        assert.deepEqual(value.event, event);
        assert.equal(value.id, 'inv-h2');
        assert.equal(value.fn, 'fn');
        assert.equal(value.version, '3');
        assert.equal(value.mem, '64');
        const text = handlerValue(await h.instance.invoke(eventCall('inv-h3', 'a\nb', 5_000, '"a\\nb"'))) as Record<string, unknown>;
        assert.equal(text.event, 'a\nb');
      });

      it('serves several invocations at once on one instance', async () => {
        const code = await bundle(`export async function handler(e: any) { await new Promise((r) => setTimeout(r, e.ms)); return e.n; }`);
        const c = await startWith(runtime, code);
        const results = await Promise.all([30, 10, 20].map((ms, n) => c.instance.invoke(eventCall(`c${n}`, { ms, n }))));
        assert.deepEqual(results.map(handlerValue), [0, 1, 2]);
        c.instance.dispose();
      });

      it('rejects the mode whose export is missing with INVALID_FUNCTION and serves on', async () => {
        const c = await startWith(runtime, await bundle(`export const handler = async () => 'h';`));
        await rejectsWith(c.instance.invoke(httpCall('x1')), 'NIMBUS_ERR_INVALID_FUNCTION');
        assert.equal(c.instance.deathReason(), null);
        assert.equal(handlerValue(await c.instance.invoke(eventCall('x2', null))), 'h');
        c.instance.dispose();
      });

      it('a thrown error is FUNCTION_ERROR with name, message and stack; the instance serves on', async () => {
        const c = await startWith(
          runtime,
          await bundle(`
            class PaymentDeclined extends Error {}
            export async function handler(e: any) {
              if (e === 'class') throw new PaymentDeclined('card refused');
              if (e === 'named') { const err = new Error('named one'); err.name = 'States.Custom'; throw err; }
              if (e === 'type') null!.x;
              throw 'a string';
            }`),
        );
        let extra = await rejectsWith(c.instance.invoke(eventCall('e1', 'class')), 'NIMBUS_ERR_FUNCTION_ERROR');
        assert.equal(extra.errorName, 'PaymentDeclined');
        assert.equal(extra.errorMessage, 'card refused');
        assert.match(String(extra.stack), /card refused/);
        extra = await rejectsWith(c.instance.invoke(eventCall('e2', 'named')), 'NIMBUS_ERR_FUNCTION_ERROR');
        assert.equal(extra.errorName, 'States.Custom');
        extra = await rejectsWith(c.instance.invoke(eventCall('e3', 'type')), 'NIMBUS_ERR_FUNCTION_ERROR');
        assert.equal(extra.errorName, 'TypeError');
        extra = await rejectsWith(c.instance.invoke(eventCall('e4', 'str')), 'NIMBUS_ERR_FUNCTION_ERROR');
        assert.equal(extra.errorName, 'Error');
        assert.equal(extra.errorMessage, 'a string');
        assert.equal(c.instance.deathReason(), null);
        c.instance.dispose();
      });

      it('a result that is not a Response / not JSON-like is BAD_RESPONSE; the instance serves on', async () => {
        const c = await startWith(
          runtime,
          await bundle(`
            export default { fetch: (req: Request) => req.url.endsWith('obj') ? ({ status: 200 } as any) : new Response('fine') };
            export async function handler(e: any) { return e === 'big' ? 10n : () => 1; }`),
        );
        await rejectsWith(c.instance.invoke(httpCall('b1', { url: 'http://h/obj' })), 'NIMBUS_ERR_BAD_RESPONSE');
        await rejectsWith(c.instance.invoke(eventCall('b2', 'big')), 'NIMBUS_ERR_BAD_RESPONSE');
        await rejectsWith(c.instance.invoke(eventCall('b3', 'fn')), 'NIMBUS_ERR_BAD_RESPONSE');
        assert.equal(c.instance.deathReason(), null);
        assert.equal(text(fetchResponse(await c.instance.invoke(httpCall('b4'))).body), 'fine');
        c.instance.dispose();
      });

      it('console output reaches onLog in order, with levels and the invocation id, before the result', async () => {
        const c = await startWith(
          runtime,
          await bundle(`
            console.log('top level');
            export async function handler() {
              console.log('one', 1, { a: [1, 2] });
              console.info('two');
              console.debug('three');
              console.warn('four');
              console.error('five');
              return 'done';
            }`),
        );
        let logsAtResult = -1;
        const before = c.logs.length;
        await c.instance.invoke(eventCall('log-1', null)).then(() => {
          logsAtResult = c.logs.length;
        });
        const lines = c.logs.slice(before);
        assert.equal(logsAtResult - before, 5);
        assert.deepEqual(
          lines.map((l) => [l.invocationId, l.level]),
          [['log-1', 'info'], ['log-1', 'info'], ['log-1', 'debug'], ['log-1', 'warn'], ['log-1', 'error']],
        );
        assert.equal(lines[0].message, 'one 1 { a: [ 1, 2 ] }');
        assert.deepEqual(c.logs[0], { invocationId: '', level: 'info', message: 'top level' });
        c.instance.dispose();
      });

      it('outbound fetch goes through spec.fetch with the invocation id', async () => {
        const c = await startWith(
          runtime,
          await bundle(`
            export default { async fetch() {
              const r = await fetch('https://api.example.com/items?id=7', { method: 'POST', headers: { 'x-key': 'k' }, body: 'ping' });
              return new Response(r.status + ' ' + (await r.text()) + ' ' + r.headers.get('content-type'));
            } };`),
          {},
          async () => ({ status: 202, statusText: 'Accepted', headers: [['content-type', 'text/x-up']], body: new TextEncoder().encode('pong') }),
        );
        const res = fetchResponse(await c.instance.invoke(httpCall('out-1')));
        assert.equal(text(res.body), '202 pong text/x-up');
        assert.equal(c.fetches.length, 1);
        assert.equal(c.fetches[0].invocationId, 'out-1');
        assert.equal(c.fetches[0].request.method, 'POST');
        assert.equal(c.fetches[0].request.url, 'https://api.example.com/items?id=7');
        assert.deepEqual(c.fetches[0].request.headers.find(([n]) => n.toLowerCase() === 'x-key'), ['x-key', 'k']);
        assert.equal(text(c.fetches[0].request.body ?? new Uint8Array()), 'ping');
        c.instance.dispose();
      });

      it('a failing outbound fetch rejects inside the function (which may catch it)', async () => {
        const c = await startWith(
          runtime,
          await bundle(`export default { async fetch() { try { await fetch('https://down.example/'); return new Response('no'); } catch (e: any) { return new Response('caught ' + e.name); } } };`),
          {},
          async () => {
            throw new Error('connect ECONNREFUSED');
          },
        );
        assert.equal(text(fetchResponse(await c.instance.invoke(httpCall('out-2'))).body), 'caught TypeError');
        c.instance.dispose();
      });

      it('waitUntil: the result comes at once, `background` settles when the work is done', async () => {
        // the background work waits on an outbound fetch the test answers once the result is in
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        const c = await startWith(
          runtime,
          await bundle(`
            export default { fetch(_req: Request, _env: unknown, ctx: any) {
              ctx.waitUntil(fetch('https://gate.example/').then(() => console.log('background done')));
              return new Response('now');
            } };`),
          {},
          async () => {
            await gate;
            return { status: 200, statusText: 'OK', headers: [], body: new Uint8Array() };
          },
        );
        const result = await c.instance.invoke(httpCall('bg-1'));
        assert.equal(text(fetchResponse(result).body), 'now');
        assert.ok(result.background instanceof Promise);
        assert.equal(c.logs.filter((l) => l.message === 'background done').length, 0);
        release();
        await result.background;
        assert.deepEqual(
          c.logs.filter((l) => l.message === 'background done'),
          [{ invocationId: 'bg-1', level: 'info', message: 'background done' }],
        );
        c.instance.dispose();
      });

      it('a call whose deadline has already passed is TIMEOUT without harming the instance', async () => {
        const call = eventCall('late', null);
        await rejectsWith(h.instance.invoke({ ...call, meta: { ...call.meta, deadline: Date.now() - 1 } }), 'NIMBUS_ERR_TIMEOUT');
        assert.equal(h.instance.deathReason(), null);
      });

      it('stats report heap bytes and CPU ms', async () => {
        await h.instance.invoke(eventCall('s1', null));
        const s = h.instance.stats();
        assert.ok(Number.isFinite(s.heapUsedBytes) && s.heapUsedBytes >= 0);
        assert.ok(Number.isFinite(s.cpuMs) && s.cpuMs > 0);
      });
    });

    describe('limits', () => {
      it('wall clock: a function past its deadline is TIMEOUT and the instance dies (timeout)', async () => {
        const c = await startWith(
          runtime,
          await bundle(`export async function handler() { console.log('waiting'); await new Promise(() => {}); }`),
        );
        await rejectsWith(c.instance.invoke(eventCall('t1', null, 150)), 'NIMBUS_ERR_TIMEOUT');
        assert.equal(c.instance.deathReason(), 'timeout');
        assert.deepEqual(c.logs.map((l) => l.message), ['waiting'], 'the log line written before the timeout survives');
      });

      it('wall clock stops a synchronous infinite loop', async () => {
        const c = await startWith(runtime, await bundle(`export async function handler() { for (;;) {} }`), { cpuLimitMs: 60_000 });
        await rejectsWith(c.instance.invoke(eventCall('t2', null, 150)), 'NIMBUS_ERR_TIMEOUT');
        assert.equal(c.instance.deathReason(), 'timeout');
      });

      it('CPU: a busy function past cpuLimitMs is CPU_LIMIT and the instance dies (cpu_limit)', async () => {
        const c = await startWith(runtime, await bundle(`export async function handler() { await null; for (;;) {} }`), { cpuLimitMs: 50 });
        await rejectsWith(c.instance.invoke(eventCall('cpu1', null, 10_000)), 'NIMBUS_ERR_CPU_LIMIT');
        assert.equal(c.instance.deathReason(), 'cpu_limit');
      });

      it('onDeath, when given, hears of a death by a limit (not of dispose)', async () => {
        const deaths: string[] = [];
        const code = await bundle(`export async function handler() { for (;;) {} }`);
        const base = { functionName: 'fn', version: 3, code, onLog: () => undefined, fetch: () => Promise.reject(new Error('none')) };
        const dying = await runtime.start({ ...base, instanceId: 'od-1', config: { ...baseConfig, cpuLimitMs: 60_000 }, onDeath: (r) => deaths.push(`1:${r}`) });
        const disposed = await runtime.start({ ...base, instanceId: 'od-2', config: baseConfig, onDeath: (r) => deaths.push(`2:${r}`) });
        await rejectsWith(dying.invoke(eventCall('od', null, 100)), 'NIMBUS_ERR_TIMEOUT');
        disposed.dispose();
        await new Promise((r) => setTimeout(r, 10));
        assert.deepEqual(deaths, ['1:timeout']);
      });

      it('memory: a memory bomb is MEMORY_LIMIT, the instance dies, other calls on it are INSTANCE_CRASHED', async () => {
        const c = await startWith(
          runtime,
          await bundle(`
            export async function handler(e: string) {
              if (e === 'wait') { await new Promise((r) => setTimeout(r, 5_000)); return 'late'; }
              const hog: number[][] = [];
              for (;;) hog.push(new Array(100_000).fill(Math.random()));
            }`),
          { memoryMb: 16 },
        );
        const bystander = c.instance.invoke(eventCall('m0', 'wait', 10_000));
        await rejectsWith(c.instance.invoke(eventCall('m1', 'bomb', 10_000)), 'NIMBUS_ERR_MEMORY_LIMIT');
        await rejectsWith(bystander, 'NIMBUS_ERR_INSTANCE_CRASHED');
        assert.equal(c.instance.deathReason(), 'memory_limit');
      });
    });

    describe('dispose', () => {
      it('rejects in-flight calls with INSTANCE_CRASHED, then refuses new ones', async () => {
        const c = await startWith(runtime, await bundle(`export async function handler() { await new Promise(() => {}); }`));
        const inflight = c.instance.invoke(eventCall('d1', null));
        c.instance.dispose();
        await rejectsWith(inflight, 'NIMBUS_ERR_INSTANCE_CRASHED');
        assert.equal(c.instance.deathReason(), 'disposed');
        await rejectsWith(c.instance.invoke(eventCall('d2', null)), 'NIMBUS_ERR_INSTANCE_CRASHED');
      });
    });
  });
}
