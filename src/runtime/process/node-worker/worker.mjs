// A generic Node process of the `node` runtime, started before any function needs it and
// specialised with one function's bundle on its first request (docs/apps.md, The node
// runtime). It talks to the platform over the IPC channel only: `load` evaluates the
// bundle with all of Node available (require of built-ins and of files beside it), `call`
// runs one invocation of its fetch or handler. Console output goes to the platform,
// attributed to the invocation that wrote it (AsyncLocalStorage). `fetch` is the
// platform's outbound fetch (the isolates' egress rules), asked over the same channel:
// in a network namespace the process has no network of its own. A fetch answered with a
// WebSocketPair's client end (status 101) keeps its call open while the socket lives, and
// `new WebSocket(url)` is opened by the platform (websocket.mjs).
import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import { format } from 'node:util';
import vm from 'node:vm';
import { bindSocket, installWebSockets, onSocketMessage, setSendWindow, upgradeOf } from './websocket.mjs';

const current = new AsyncLocalStorage();
let module_ = null;
let env = {};

const send = (m) => process.connected && process.send(m);
/** Node's own Response (the global one also takes a 101 with a webSocket). */
const NodeResponse = globalThis.Response;
installWebSockets({ send, enter: (invocationId, fn) => current.run(invocationId, fn), invocation: () => current.getStore() ?? '' });
for (const [name, level] of [['log', 'info'], ['info', 'info'], ['debug', 'debug'], ['warn', 'warn'], ['error', 'error'], ['trace', 'debug']]) {
  console[name] = (...args) => send({ t: 'log', id: current.getStore() ?? '', level, msg: format(...args) });
}
process.on('uncaughtException', (e) => send({ t: 'log', id: current.getStore() ?? '', level: 'error', msg: `Uncaught ${e?.stack ?? e}` }));
process.on('unhandledRejection', (e) => send({ t: 'log', id: current.getStore() ?? '', level: 'error', msg: `Unhandled rejection ${e?.stack ?? e}` }));

/** The platform's outbound fetch: the request (body buffered) goes over the channel, the answer comes back whole. */
const outbound = new Map();
let nextFetch = 1;
globalThis.fetch = async function fetch(input, init) {
  const request = new Request(input, init);
  const body = request.body ? new Uint8Array(await request.arrayBuffer()) : null;
  const id = nextFetch++;
  const answer = await new Promise((resolve) => {
    outbound.set(id, resolve);
    send({ t: 'fetch', id, invocationId: current.getStore() ?? '', request: { method: request.method, url: request.url, headers: [...request.headers], body } });
  });
  if (answer.t === 'fetch-failed') {
    const error = new TypeError('fetch failed', { cause: Object.assign(new Error(answer.error.message), { code: answer.error.code }) });
    if (answer.error.code === 'NIMBUS_ERR_EGRESS_DENIED') error.message = `fetch failed: ${answer.error.message}`;
    throw error;
  }
  const r = answer.response;
  const empty = r.status === 101 || r.status === 204 || r.status === 205 || r.status === 304 || request.method === 'HEAD';
  return new Response(empty ? null : r.body, { status: r.status, statusText: r.statusText, headers: r.headers });
};

/** The error's own name (a subclass without a name of its own is called by its class), message and stack. */
function errorOf(e) {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e), stack: '' };
  const ctor = e.constructor?.name;
  const name = e.name === 'Error' && ctor && ctor !== 'Error' ? ctor : e.name;
  return { name, message: e.message, stack: typeof e.stack === 'string' ? e.stack : '' };
}

/** A handler's value must travel as JSON does. */
function jsonLike(value) {
  if (typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') return false;
  try {
    JSON.stringify(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * Loads the Node addons shipped with the function before its code runs, so that one built for
 * another Node (another NODE_MODULE_VERSION) fails the load naming its package, not a request
 * deep in the package's code. Node's require cache keeps them for the package's own require.
 */
function loadAddons(req, packages) {
  for (const addon of packages.addons) {
    try {
      req(`${packages.dir}/${addon.path}`);
    } catch (e) {
      const error = new Error(
        `package "${addon.package}": its native addon ${addon.file} cannot be loaded by this Node ${process.version} (NODE_MODULE_VERSION ${process.versions.modules}): ${String(e?.message ?? e).replace(/\s*\n\s*/g, ' ')} ` +
          'Native addons are shipped as installed: install or rebuild the package (npm rebuild) with the Node the platform runs, then deploy again',
      );
      error.name = 'NativeAddonError';
      throw error;
    }
  }
}

function load(m) {
  for (const k of Object.keys(process.env)) if (k !== 'PATH' && k !== 'HOME' && k !== 'LANG') delete process.env[k];
  Object.assign(process.env, m.env);
  env = Object.freeze({ ...m.env });
  setSendWindow(m.wsSendWindow);
  // Packages shipped beside the bundle (native addons) resolve from their directory, read-only.
  globalThis.require = createRequire(`${m.packages?.dir ?? process.cwd()}/`);
  if (m.packages) loadAddons(globalThis.require, m.packages);
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
  const remaining = () => Math.max(0, deadline - Date.now());
  const waitUntil = (p) => void waits.push(Promise.resolve(p).catch((e) => console.error(e)));
  // fetch's ctx (as on Workers, with the invocation's facts) and handler's Lambda-style context.
  const ctx = { invocationId: m.meta.invocationId, functionName: m.meta.functionName, version: m.meta.version, attempt: m.meta.attempt, getRemainingTimeInMillis: remaining, waitUntil, passThroughOnException() {} };
  const context = {
    invocationId: m.meta.invocationId,
    awsRequestId: m.meta.invocationId,
    functionName: m.meta.functionName,
    functionVersion: String(m.meta.version),
    memoryLimitInMB: String(m.meta.memoryMb),
    attempt: m.meta.attempt,
    env,
    getRemainingTimeInMillis: remaining,
    waitUntil,
  };
  let reply;
  if (m.mode === 'fetch') {
    const r = m.request;
    const bodiless = r.method === 'GET' || r.method === 'HEAD';
    const request = new Request(r.url, { method: r.method, headers: r.headers, body: bodiless || r.body === null ? undefined : r.body, duplex: 'half' });
    const response = await module_.default.fetch(request, env, ctx);
    if (!(response instanceof NodeResponse)) throw Object.assign(new TypeError('fetch() did not return a Response'), { badResponse: true });
    const client = upgradeOf(response);
    if (client !== null) {
      // numbered here, and the answer sent in the same turn: nothing the socket sends can come before it
      const socket = bindSocket(client, m.meta.invocationId);
      if (socket === null) throw Object.assign(new TypeError("the response's webSocket must be the client end of a new WebSocketPair, not yet used in a response"), { badResponse: true });
      reply = { t: 'result', id: m.id, mode: 'fetch', response: { status: 101, statusText: response.statusText, headers: [...response.headers], body: new Uint8Array(0) }, socket };
    } else {
      reply = { t: 'result', id: m.id, mode: 'fetch', response: { status: response.status, statusText: response.statusText, headers: [...response.headers], body: new Uint8Array(await response.arrayBuffer()) } };
    }
  } else {
    const handler = module_.handler ?? module_.default?.handler;
    const value = await handler(m.event, context);
    if (!jsonLike(value)) throw Object.assign(new TypeError(`handler() returned a ${typeof value}, which is not JSON`), { badResponse: true });
    reply = { t: 'result', id: m.id, mode: 'handler', value };
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
  } else if (m.t === 'preload') {
    // A process started ahead for a function that ships packages: its addons now, its code when
    // it is given the function (a failure is the load's to report: it loads them again).
    try {
      loadAddons(createRequire(`${m.packages.dir}/`), m.packages);
    } catch {}
  } else if (m.t === 'fetched' || m.t === 'fetch-failed') {
    outbound.get(m.id)?.(m);
    outbound.delete(m.id);
  } else if (m.t === 'ws-message' || m.t === 'ws-close' || m.t === 'ws-taken' || m.t === 'ws-opened' || m.t === 'ws-refused') {
    onSocketMessage(m);
  } else if (m.t === 'call') {
    current.run(m.meta.invocationId, () => call(m)).catch((e) => send({ t: 'error', id: m.id, error: errorOf(e), badResponse: e?.badResponse === true }));
  }
});
// Node loads its fetch implementation (Request, Response) on first use: done here, before any
// function is given, so a first request does not pay for it.
await new Response(new Request('http://warm.invalid/', { method: 'POST', body: 'x' }).body).arrayBuffer();
current.run('', () => format('%s', 'warm'));
send({ t: 'ready' });
