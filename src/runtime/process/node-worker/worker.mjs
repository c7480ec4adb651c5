// A generic Node process of the `node` runtime, started before any function needs it and
// specialised with one function's bundle on its first request (docs/apps.md, The node
// runtime). It talks to the platform over the IPC channel only: `load` evaluates the
// bundle with all of Node available (require of built-ins and of files beside it), `call`
// runs one invocation of its fetch or handler. Console output goes to the platform,
// attributed to the invocation that wrote it (AsyncLocalStorage).
import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import { format } from 'node:util';
import vm from 'node:vm';

const current = new AsyncLocalStorage();
let module_ = null;
let env = {};

const send = (m) => process.connected && process.send(m);
for (const [name, level] of [['log', 'info'], ['info', 'info'], ['debug', 'debug'], ['warn', 'warn'], ['error', 'error'], ['trace', 'debug']]) {
  console[name] = (...args) => send({ t: 'log', id: current.getStore() ?? '', level, msg: format(...args) });
}
process.on('uncaughtException', (e) => send({ t: 'log', id: current.getStore() ?? '', level: 'error', msg: `Uncaught ${e?.stack ?? e}` }));
process.on('unhandledRejection', (e) => send({ t: 'log', id: current.getStore() ?? '', level: 'error', msg: `Unhandled rejection ${e?.stack ?? e}` }));

function errorOf(e) {
  return { name: e?.name ?? 'Error', message: e?.message ?? String(e), stack: typeof e?.stack === 'string' ? e.stack : '' };
}

function load(m) {
  for (const k of Object.keys(process.env)) if (k !== 'PATH' && k !== 'HOME' && k !== 'LANG') delete process.env[k];
  Object.assign(process.env, m.env);
  env = { ...m.env };
  globalThis.require = createRequire(`${process.cwd()}/`);
  vm.runInThisContext(m.code, { filename: `${m.name}.js` });
  const exported = globalThis.__nimbus_module ?? {};
  module_ = exported;
  const fetch = typeof exported.default?.fetch === 'function';
  const handler = typeof exported.handler === 'function' || typeof exported.default?.handler === 'function';
  return { fetch, handler };
}

async function call(m) {
  const waits = [];
  const deadline = m.meta.deadline;
  const context = {
    invocationId: m.meta.invocationId,
    functionName: m.meta.functionName,
    functionVersion: String(m.meta.version),
    memoryLimitInMB: m.meta.memoryMb,
    attempt: m.meta.attempt,
    env,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    waitUntil: (p) => void waits.push(Promise.resolve(p).catch((e) => console.error(e))),
    passThroughOnException() {},
  };
  let reply;
  if (m.mode === 'fetch') {
    const r = m.request;
    const bodiless = r.method === 'GET' || r.method === 'HEAD';
    const request = new Request(r.url, { method: r.method, headers: r.headers, body: bodiless || r.body === null ? undefined : r.body, duplex: 'half' });
    const response = await module_.default.fetch(request, env, context);
    if (!(response instanceof Response)) throw Object.assign(new TypeError('fetch() did not return a Response'), { badResponse: true });
    reply = { t: 'result', id: m.id, mode: 'fetch', response: { status: response.status, statusText: response.statusText, headers: [...response.headers], body: new Uint8Array(await response.arrayBuffer()) } };
  } else {
    const handler = module_.handler ?? module_.default?.handler;
    reply = { t: 'result', id: m.id, mode: 'handler', value: await handler(m.event, context), background: waits.length > 0 };
  }
  reply.background = waits.length > 0;
  send(reply);
  if (waits.length > 0) {
    await Promise.allSettled(waits);
    send({ t: 'background-done', id: m.id });
  }
}

process.on('message', (m) => {
  if (m.t === 'load') {
    try {
      send({ t: 'loaded', exports: load(m) });
    } catch (e) {
      send({ t: 'load-error', error: errorOf(e) });
    }
  } else if (m.t === 'call') {
    current.run(m.meta.invocationId, () => call(m)).catch((e) => send({ t: 'error', id: m.id, error: errorOf(e), badResponse: e?.badResponse === true }));
  }
});
send({ t: 'ready' });
