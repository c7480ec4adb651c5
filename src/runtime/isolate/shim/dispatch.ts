/**
 * Runs invocations: builds the Request / context, calls the module, and sends back
 * exactly one OUT_DONE per invocation, then OUT_BG_DONE when its waitUntil work settles.
 */
import { wasmOverLimit } from './wasm.ts';
import { OUT_BG_DONE, OUT_DONE, OUT_END, R_BAD, R_ERROR, R_INVALID, R_RESPONSE, R_SOCKET, R_STREAM, R_VALUE } from '../protocol.ts';
import { bindSocket } from './websocket.ts';
import { MAX_BODY, Request, Response, setMaxBody } from './body.ts';
import { Blob } from './blob.ts';
import { send } from './bridge.ts';
import { dropCallsOf } from './calls.ts';
import { exactBuffer } from './encoding.ts';
import { chunkBytes, dropStreamsOf, fromHost, toHost } from './host-streams.ts';
import { dropZlibOf } from './compression.ts';
import { inspect } from './inspect.ts';
import { ended, enter, NO_INVOCATION, started, type Invocation } from './state.ts';
import { completeChunks, ReadableStream } from './streams.ts';
import { dropTimersOf } from './timers.ts';
import { console } from './console.ts';
import { DOMException } from './events.ts';

type Fn = (...args: unknown[]) => unknown;
interface ModuleShape {
  default?: { fetch?: Fn } | null;
  handler?: Fn;
  fetch?: Fn;
}

let fetchTarget: { fetch: Fn } | null = null;
let handlerFn: Fn | null = null;
let env: Readonly<Record<string, unknown>> = Object.freeze({});

/** IN_SETUP: after the module ran. Returns [hasFetch, hasHandler] or a reason. */
export function setup(envIn: Record<string, string>, maxBody: number): [boolean, boolean] | string {
  setMaxBody(maxBody);
  const copy: Record<string, string> = {};
  for (const k of Object.keys(envIn ?? {})) copy[k] = String(envIn[k]);
  env = Object.freeze(withBindings(copy));
  const mod = (globalThis as unknown as { __nimbus_module?: ModuleShape }).__nimbus_module;
  if (mod === undefined || mod === null || (typeof mod !== 'object' && typeof mod !== 'function')) {
    return 'the bundle did not define __nimbus_module: deploy code bundled by Nimbus (an IIFE with globalName __nimbus_module)';
  }
  const def = mod.default;
  if (def !== undefined && def !== null && typeof def.fetch === 'function') fetchTarget = def as { fetch: Fn };
  else if (typeof mod.fetch === 'function') fetchTarget = mod as { fetch: Fn }; // CommonJS: module.exports = app
  if (typeof mod.handler === 'function') handlerFn = mod.handler;
  enter(NO_INVOCATION);
  return [fetchTarget !== null, handlerFn !== null];
}

interface EventInit {
  type: string;
  source: string;
  id?: string;
  subject?: string;
  data?: unknown;
  [attribute: string]: unknown;
}

/**
 * `env.EVENTS.publish(topic, event)`: publishes a CloudEvent to a topic, the way functions
 * chain. It is sugar over the outbound fetch to NIMBUS_EVENTS_URL with the function's
 * publish-only NIMBUS_EVENTS_TOKEN (both in env); it resolves with the platform's 202 answer.
 */
function withBindings(vars: Record<string, string>): Record<string, unknown> {
  const url = vars.NIMBUS_EVENTS_URL;
  const token = vars.NIMBUS_EVENTS_TOKEN;
  if (!url || !token) return vars;
  const publish = async (topic: string, event: EventInit): Promise<unknown> => {
    if (typeof topic !== 'string' || topic === '') throw new TypeError('EVENTS.publish(topic, event): topic must be a non-empty string');
    if (event === null || typeof event !== 'object') throw new TypeError('EVENTS.publish(topic, event): event must be an object with type and source');
    const cloudEvent = { specversion: '1.0', id: event.id ?? crypto.randomUUID(), ...event };
    const res = await fetch(`${url}/${encodeURIComponent(topic)}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify(cloudEvent),
    });
    const text = await res.text();
    if (res.status !== 202) throw new Error(`EVENTS.publish(${JSON.stringify(topic)}): the platform answered ${res.status}: ${text.slice(0, 300)}`);
    return text === '' ? null : JSON.parse(text);
  };
  return { ...vars, EVENTS: Object.freeze({ publish }) };
}

/** fetch invocations not yet answered, by number: a client that goes away aborts their request's signal. */
const unanswered = new Map<number, Invocation>();

/** IN_ABORT: the HTTP client went away before the function answered. */
export function onAbort(seq: number): void {
  const inv = unanswered.get(seq);
  if (inv === undefined || inv.responded) return;
  unanswered.delete(seq);
  enter(inv);
  inv.request?._abort(new DOMException('The client went away', 'AbortError'));
}

function newInvocation(seq: number, id: string, remainingMs: number): Invocation {
  const inv: Invocation = { seq, id, deadlineAt: Date.now() + remainingMs, waits: new Set(), responded: false, finished: false, logLines: 0, logChars: 0, request: null };
  started(inv);
  return inv;
}

function waitUntilOf(inv: Invocation): (p: unknown) => void {
  return (p: unknown) => {
    if (inv.finished) return;
    const tracked: Promise<unknown> = Promise.resolve(p).then(undefined, (error) => {
      enter(inv);
      console.error('waitUntil: a promise rejected:', error);
    });
    inv.waits.add(tracked);
    tracked.then(() => inv.waits.delete(tracked));
  };
}

function remaining(inv: Invocation): () => number {
  return () => Math.max(0, inv.deadlineAt - Date.now());
}

export function errorName(e: unknown): string {
  if (typeof e !== 'object' || e === null) return 'Error';
  try {
    const err = e as { name?: unknown };
    const ctor = (e as { constructor?: unknown }).constructor as ({ name?: unknown; prototype?: object } & (() => void)) | undefined;
    const own = typeof err.name === 'string' && err.name !== '' ? err.name : 'Error';
    if (Object.prototype.hasOwnProperty.call(e, 'name')) return own;
    if (typeof ctor !== 'function' || typeof ctor.name !== 'string' || ctor.name === '') return own;
    // a class that names itself on its prototype (TypeError, or MyErr.prototype.name = …)
    if (ctor.prototype !== undefined && Object.prototype.hasOwnProperty.call(ctor.prototype, 'name')) return own;
    return ctor.name;
  } catch {
    return 'Error';
  }
}

function fail(inv: Invocation, e: unknown): void {
  let message: string;
  let stack = '';
  try {
    if (typeof e === 'object' && e !== null && 'message' in e) message = String((e as Error).message);
    else message = typeof e === 'string' ? e : inspect(e);
    if (typeof e === 'object' && e !== null && typeof (e as Error).stack === 'string') stack = (e as Error).stack as string;
  } catch {
    message = 'an error that could not be described';
  }
  respond(inv, R_ERROR, errorName(e), message, stack);
}

function bad(inv: Invocation, detail: string): void {
  respond(inv, R_BAD, detail);
}

function respond(inv: Invocation, kind: number, a?: unknown, b?: unknown, c?: unknown, d?: unknown): void {
  if (inv.responded) return;
  inv.responded = true;
  unanswered.delete(inv.seq);
  // wasm code grows its memory unseen: before any result, see whether it passed the limit
  if (wasmOverLimit(0, inv.seq)) return;
  const background = inv.waits.size > 0;
  send(OUT_DONE, inv.seq, kind, background, a, b, c, d);
  if (background) void drain(inv);
  else finish(inv);
}

async function drain(inv: Invocation): Promise<void> {
  while (inv.waits.size > 0) await Promise.all([...inv.waits]);
  enter(inv);
  send(OUT_BG_DONE, inv.seq);
  finish(inv);
}

function finish(inv: Invocation): void {
  inv.finished = true;
  ended(inv);
  unanswered.delete(inv.seq);
  dropTimersOf(inv);
  dropCallsOf(inv);
  dropStreamsOf(inv);
  dropZlibOf(inv);
}

/**
 * A response whose body is a stream not yet complete: its head goes now (R_STREAM), its
 * chunks as the host takes them. The invocation is over when the stream is (then its
 * waitUntil work, if any); a host cancel (client gone) also aborts the request's signal,
 * and the stream's cancel runs on as waitUntil work.
 */
function respondStreaming(inv: Invocation, head: string, body: ReadableStream): void {
  if (inv.responded) return;
  inv.responded = true;
  unanswered.delete(inv.seq);
  if (wasmOverLimit(0, inv.seq)) return;
  const id = toHost(
    body,
    inv,
    (error) => {
      enter(inv);
      const background = inv.waits.size > 0;
      send(OUT_END, inv.seq, id, error, background);
      if (background) void drain(inv);
      else finish(inv);
    },
    // the host cancelled it: the request's signal aborts before the stream's cancel runs
    () => inv.request?._abort(new DOMException('The client went away', 'AbortError')),
  );
  send(OUT_DONE, inv.seq, R_STREAM, false, head, id);
}

/**
 * A 101 response with a WebSocketPair's client end: its server end gets a number and the
 * invocation lasts until the socket closes (its waitUntil work then runs on, as after a stream).
 */
function respondSocket(inv: Invocation, head: string, client: unknown): void {
  if (inv.responded) return;
  const id = bindSocket(client, inv, () => {
    enter(inv);
    finish(inv);
  });
  if (id === null) {
    bad(inv, 'the response\'s webSocket must be the client end of a new WebSocketPair, not yet used in a response');
    return;
  }
  inv.responded = true;
  unanswered.delete(inv.seq);
  if (wasmOverLimit(0, inv.seq)) return;
  send(OUT_DONE, inv.seq, R_SOCKET, false, head, id);
}

/** The bytes of a stream's chunks, all queued already; null when one is not bytes. */
function joinChunks(chunks: unknown[]): Uint8Array | null {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (const c of chunks) {
    const bytes = chunkBytes(c);
    if (bytes === null) return null;
    parts.push(bytes);
    total += bytes.length;
  }
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function describe(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  const s = inspect(v, 0);
  return s.length > 80 ? s.slice(0, 80) + '…' : s;
}

function sendResponse(inv: Invocation, r: unknown): void {
  if (!(r instanceof Response)) {
    bad(inv, `fetch must return a Response (or a promise of one), it returned ${describe(r)}`);
    return;
  }
  if (r.type === 'error') {
    bad(inv, 'fetch returned Response.error()');
    return;
  }
  if (r.bodyUsed) {
    bad(inv, 'the body of the returned Response has already been read');
    return;
  }
  if (r.webSocket !== null) {
    respondSocket(inv, `${r.status}\n${r.statusText}\n${r._wireHeaders()}`, r.webSocket);
    return;
  }
  const body = r._body;
  const head = (b: string | ArrayBuffer) => respond(inv, R_RESPONSE, `${r.status}\n${r.statusText}\n${r._wireHeaders()}`, b);
  if (body === null) head('');
  else if (typeof body === 'string') head(body);
  else if (body instanceof Uint8Array) {
    if (body.length > MAX_BODY) bad(inv, `the response body has ${body.length} bytes; the limit is ${MAX_BODY}`);
    else head(exactBuffer(body));
  } else if (body instanceof Blob) {
    const bytes = Blob._bytes(body);
    if (bytes.length > MAX_BODY) bad(inv, `the response body has ${bytes.length} bytes; the limit is ${MAX_BODY}`);
    else head(exactBuffer(bytes.slice()));
  } else if (body instanceof ReadableStream) {
    // a stream already complete (all enqueued and closed) goes as one buffer, as fast as any
    const complete = completeChunks(body);
    const bytes = complete === null ? null : joinChunks(complete);
    if (complete === null) respondStreaming(inv, `${r.status}\n${r.statusText}\n${r._wireHeaders()}`, body);
    else if (bytes === null) bad(inv, 'the response body stream: a chunk must be a Uint8Array, ArrayBuffer or string');
    else if (bytes.length > MAX_BODY) bad(inv, `the response body has ${bytes.length} bytes; the limit is ${MAX_BODY}`);
    else head(exactBuffer(bytes.slice()));
  } else bad(inv, 'the response body has an unsupported type');
}

function sendValue(inv: Invocation, v: unknown): void {
  if (typeof v === 'function' || typeof v === 'symbol') {
    bad(inv, `handler must return JSON-like data, it returned ${describe(v)}`);
    return;
  }
  let json: string | undefined;
  try {
    json = v === undefined ? 'null' : JSON.stringify(v);
  } catch (e) {
    bad(inv, `handler returned a value that is not JSON-like data: ${(e as Error)?.message ?? e}`);
    return;
  }
  if (json === undefined) json = 'null';
  if (json.length > MAX_BODY) {
    bad(inv, `the handler result has ${json.length} characters as JSON; the limit is ${MAX_BODY}`);
    return;
  }
  respond(inv, R_VALUE, json);
}

function settle(inv: Invocation, out: unknown, ok: (inv: Invocation, v: unknown) => void): void {
  if (out !== null && typeof out === 'object' && typeof (out as { then?: unknown }).then === 'function') {
    Promise.resolve(out).then(
      (v) => {
        enter(inv);
        ok(inv, v);
      },
      (e) => {
        enter(inv);
        fail(inv, e);
      },
    );
  } else ok(inv, out);
}

export function onFetch(
  seq: number,
  id: string,
  remainingMs: number,
  _attempt: number,
  functionName: string,
  version: number,
  method: string,
  url: string,
  wire: string,
  /** The body's bytes, its text when it is ASCII-only, or the number of the host stream carrying it. */
  body: ArrayBuffer | string | number | null,
): Invocation {
  const inv = newInvocation(seq, id, remainingMs);
  enter(inv);
  if (fetchTarget === null) {
    respond(inv, R_INVALID, 'the module has no default export with a fetch method');
    return inv;
  }
  let out: unknown;
  try {
    const ctx = Object.freeze({
      waitUntil: waitUntilOf(inv),
      passThroughOnException: () => undefined,
      invocationId: id,
      functionName,
      version,
      getRemainingTimeInMillis: remaining(inv),
    });
    const request = Request._incoming(method, url, wire, typeof body === 'number' ? fromHost(body, inv) : body);
    inv.request = request;
    unanswered.set(seq, inv);
    out = fetchTarget.fetch(request, env, ctx);
  } catch (e) {
    fail(inv, e);
    return inv;
  }
  settle(inv, out, sendResponse);
  return inv;
}

export function onHandler(
  seq: number,
  id: string,
  remainingMs: number,
  attempt: number,
  functionName: string,
  version: number,
  memoryMb: number,
  event: unknown,
): Invocation {
  const inv = newInvocation(seq, id, remainingMs);
  enter(inv);
  if (handlerFn === null) {
    respond(inv, R_INVALID, 'the module does not export a handler function');
    return inv;
  }
  const fn = handlerFn;
  let out: unknown;
  try {
    const context = {
      invocationId: id,
      awsRequestId: id,
      functionName,
      functionVersion: String(version),
      memoryLimitInMB: String(memoryMb),
      attempt,
      env,
      getRemainingTimeInMillis: remaining(inv),
      waitUntil: waitUntilOf(inv),
      callbackWaitsForEmptyEventLoop: false,
    };
    if (fn.length >= 3) {
      // Lambda's callback style: handler(event, context, callback)
      out = new Promise((resolve, reject) => {
        const r = fn(event, context, (err: unknown, value: unknown) => (err ? reject(err) : resolve(value)));
        if (r !== null && typeof r === 'object' && typeof (r as { then?: unknown }).then === 'function') (r as Promise<unknown>).then(resolve, reject);
      });
    } else out = fn(event, context);
  } catch (e) {
    fail(inv, e);
    return inv;
  }
  settle(inv, out, sendValue);
  return inv;
}

/**
 * IN_WARM: V8 compiles functions lazily, on first call. A spare isolate runs one fake
 * fetch and one fake handler call through the real paths, so a cold start's first request
 * does not pay for compiling the shim. Results go to the host as seq 0, which it ignores.
 * Resolves once both fake calls have answered and the shim's state is as before.
 */
export async function warm(): Promise<void> {
  const savedFetch = fetchTarget;
  const savedHandler = handlerFn;
  fetchTarget = {
    fetch: (req: unknown) => {
      const r = req as Request;
      r.headers.get('host');
      void r.url;
      return new Response('warm', { headers: { 'content-type': 'text/plain' } });
    },
  };
  handlerFn = async (event: unknown) => ({ event });
  try {
    const calls = [
      onFetch(0, '', 1_000, 1, '', 0, 'GET', 'http://localhost/warm?x=1', 'host\nlocalhost\naccept\n*/*', null),
      onHandler(0, '', 1_000, 1, '', 0, 128, { warm: true }),
    ];
    Response.json({ warm: true });
    for (let i = 0; i < 100 && calls.some((inv) => !inv.finished); i++) await null;
  } finally {
    fetchTarget = savedFetch;
    handlerFn = savedHandler;
    enter(NO_INVOCATION);
  }
}
