/**
 * Request and Response. Bodies are buffered (string | bytes | Blob | FormData |
 * ReadableStream), binary-safe, and converted only when read. Requests that come from
 * the host keep their URL as a string and their headers in wire form until used.
 */
import { AbortController, AbortSignal } from './abort.ts';
import { Blob, FormData, decodeMultipart, encodeMultipart } from './blob.ts';
import { exactBuffer, toBytes, utf8Decode, utf8Encode } from './encoding.ts';
import { Headers, type HeadersInit } from './headers.ts';
import { structuredClone } from './clone.ts';
import { isDisturbed, ReadableByteStreamController, ReadableStream, readAllInto, streamOf, TransformStream } from './streams.ts';
import { URL, URLSearchParams, parseForm } from './url.ts';

/** Largest body read or sent (the host passes its limit at setup). */
export let MAX_BODY = 6 * 1024 * 1024;
export function setMaxBody(bytes: number): void {
  if (Number.isFinite(bytes) && bytes > 0) MAX_BODY = bytes;
}

export type BodyValue = null | string | Uint8Array | Blob | FormData | ReadableStream;
export type BodyInit = string | ArrayBuffer | ArrayBufferView | Blob | URLSearchParams | FormData | ReadableStream | null;

let boundaryCounter = 0;

/** Normalises a BodyInit; returns the stored body and the content type it implies. */
export function extractBody(init: unknown): { body: BodyValue; type: string | null } {
  if (init === null || init === undefined) return { body: null, type: null };
  if (typeof init === 'string') return { body: init, type: 'text/plain;charset=UTF-8' };
  if (init instanceof ArrayBuffer || ArrayBuffer.isView(init)) return { body: toBytes(init).slice(), type: null };
  if (init instanceof Blob) return { body: init, type: init.type || null };
  if (init instanceof URLSearchParams) return { body: init.toString(), type: 'application/x-www-form-urlencoded;charset=UTF-8' };
  if (init instanceof FormData) {
    const boundary = `----NimbusFormBoundary${Date.now().toString(16)}${(boundaryCounter++).toString(16)}`;
    return { body: encodeMultipart(init, boundary), type: `multipart/form-data; boundary=${boundary}` };
  }
  if (init instanceof ReadableStream) {
    if (init.locked || isDisturbed(init)) throw new TypeError('The body stream is locked or has been read');
    return { body: init, type: null };
  }
  return { body: String(init), type: 'text/plain;charset=UTF-8' };
}

abstract class Body {
  _body: BodyValue = null;
  _used = false;
  _stream: ReadableStream | null = null;
  abstract get headers(): Headers;

  get body(): ReadableStream | null {
    if (this._body === null) return null;
    if (this._stream === null) {
      const b = this._body;
      // a buffered body as a stream already complete: passed on unread (new Response(res.body)), it is still one buffer
      // a Blob's bytes are copied, as its stream() does: a byte stream moves (detaches) what it enqueues
      this._stream = b instanceof ReadableStream ? b : streamOf(typeof b === 'string' ? utf8Encode(b) : b instanceof Blob ? Blob._bytes(b).slice() : (b as Uint8Array));
      // read whole before its stream was asked for: the stream is the one that was read, locked for good
      if (this._used) lockForGood(this._stream);
      // the stream is the body from now on: what it enqueued is moved (detached), so the bytes are its
      this._body = this._stream;
    }
    return this._stream;
  }
  /** The stream the body is, if it is one yet. */
  _streamNow(): ReadableStream | null {
    return this._stream ?? (this._body instanceof ReadableStream ? this._body : null);
  }
  get bodyUsed(): boolean {
    if (this._body === null) return false;
    const stream = this._streamNow();
    return this._used || (stream !== null && isDisturbed(stream));
  }

  /**
   * The body to read whole; after `body` was asked for, its stream (so reading it one way
   * uses it up the other). A null body is read as no bytes and stays unused.
   */
  _take(): BodyValue {
    if (this._body === null) return null;
    const stream = this._streamNow();
    if (this.bodyUsed || (stream !== null && stream.locked)) throw new TypeError('Body is unusable: Body has already been read');
    this._used = true;
    return this._stream ?? this._body;
  }

  // Each reads into a box and awaits only promises of nothing: a promise resolved with an
  // object asks it for `then`, which a script can plant on Object.prototype to forge a body.
  async arrayBuffer(): Promise<ArrayBuffer> {
    const box = { bytes: EMPTY };
    await readBody(this._take(), box);
    return exactBuffer(box.bytes);
  }
  async bytes(): Promise<Uint8Array> {
    const box = { bytes: EMPTY };
    await readBody(this._take(), box);
    return box.bytes;
  }
  async text(): Promise<string> {
    const b = this._take();
    if (typeof b === 'string') return b;
    const box = { bytes: EMPTY };
    await readBody(b, box);
    return utf8Decode(box.bytes).text;
  }
  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }
  async blob(): Promise<Blob> {
    const b = this._take();
    // the MIME type is the Content-Type header's (a Blob body set it unless one was given)
    const type = this.headers.get('content-type') ?? '';
    if (b instanceof Blob) return new Blob([b], { type });
    const box = { bytes: EMPTY };
    await readBody(b, box);
    return new Blob([box.bytes], { type });
  }
  async formData(): Promise<FormData> {
    // the bytes first (a stream's error is the answer), then the type decides how they parse
    const type = this.headers.get('content-type') ?? '';
    const b = this._take();
    const box = { bytes: EMPTY };
    if (!(b instanceof FormData)) await readBody(b, box);
    if (/^application\/x-www-form-urlencoded/i.test(type)) {
      const form = new FormData();
      const text = typeof b === 'string' ? b : b instanceof FormData ? '' : utf8Decode(box.bytes).text;
      for (const [n, v] of parseForm(text)) form.append(n, v);
      return form;
    }
    const m = /^multipart\/form-data;.*\bboundary=(?:"([^"]+)"|([^;]+))/i.exec(type);
    if (m) {
      if (b instanceof FormData) return b;
      return decodeMultipart(box.bytes, (m[1] ?? m[2]).trim());
    }
    throw new TypeError(`Could not parse content as FormData (content-type "${type}")`);
  }
}

const EMPTY = new Uint8Array(0);

/** The standard's "fully read": the stream's reader is never released. */
function lockForGood(stream: ReadableStream): void {
  if (!stream.locked) stream.getReader().closed.catch(() => undefined);
}

/** Reads a body whole into `box.bytes` (see Body: resolves with nothing, on purpose). */
export async function readBody(b: BodyValue, box: { bytes: Uint8Array }): Promise<void> {
  if (b === null) box.bytes = EMPTY;
  else if (typeof b === 'string') box.bytes = utf8Encode(b);
  else if (b instanceof Uint8Array) box.bytes = b;
  else if (b instanceof Blob) box.bytes = Blob._bytes(b);
  else if (b instanceof ReadableStream) {
    await readAllInto(b, MAX_BODY, box);
    lockForGood(b);
  } else throw new TypeError('unreadable body');
}

export async function bytesOf(b: BodyValue): Promise<Uint8Array> {
  const box = { bytes: EMPTY };
  await readBody(b, box);
  return box.bytes;
}

function cloneBody(src: Body): BodyValue {
  if (src.bodyUsed) throw new TypeError('Body has already been used: cannot clone');
  const b = src._body;
  if (src._stream !== null || b instanceof ReadableStream) {
    // both go on reading the same stream: it is teed, and the original keeps one branch
    const stream = src._stream ?? (b as ReadableStream);
    const [mine, theirs] = stream.tee();
    src._stream = mine;
    src._body = mine;
    // the standard tees a body with its second branch's chunks structured-cloned, so the two
    // do not share buffers (a byte stream's tee already copies them)
    if ((stream as unknown as { _readableStreamController?: unknown })._readableStreamController instanceof ReadableByteStreamController) return theirs;
    return theirs.pipeThrough(new TransformStream({ transform: (chunk, c) => c.enqueue(structuredClone(chunk)) }));
  }
  if (b instanceof Uint8Array) return b.slice();
  return b;
}

const METHODS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function normalizeMethod(m: unknown): string {
  const s = String(m);
  if (!TOKEN.test(s)) throw new TypeError(`'${s}' is not a valid HTTP method`);
  const upper = s.toUpperCase();
  if (upper === 'CONNECT' || upper === 'TRACE' || upper === 'TRACK') throw new TypeError(`'${s}' HTTP method is unsupported`);
  return METHODS.has(upper) ? upper : s;
}

export interface RequestInit {
  method?: string;
  headers?: HeadersInit;
  body?: BodyInit;
  signal?: AbortSignal | null;
  redirect?: string;
  [key: string]: unknown;
}

export class Request extends Body {
  #method = 'GET';
  #url = '';
  #headers: Headers | null = null;
  #wire = '';
  #signal: AbortSignal | null = null;
  #controller: AbortController | null = null;
  #redirect = 'follow';

  constructor(input: unknown, init?: RequestInit) {
    super();
    if (input === INCOMING) return;
    let inherited: Request | null = null;
    if (input instanceof Request) {
      inherited = input;
      this.#method = input.method;
      this.#url = input.url;
      this.#redirect = input.redirect;
      this.#signal = input.#signal;
    } else {
      this.#url = new URL(String(input)).href;
    }
    if (init !== undefined && init !== null) {
      if (init.method !== undefined) this.#method = normalizeMethod(init.method);
      if (init.redirect !== undefined) this.#redirect = String(init.redirect);
      if (init.signal !== undefined) this.#signal = init.signal;
    }
    this.#headers = new Headers(init?.headers !== undefined ? init.headers : inherited?.headers);
    if (init?.body !== undefined && init.body !== null) {
      if (this.#method === 'GET' || this.#method === 'HEAD') throw new TypeError('Request with GET/HEAD method cannot have body.');
      const { body, type } = extractBody(init.body);
      this._body = body;
      if (type !== null && !this.#headers.has('content-type')) this.#headers.set('content-type', type);
    } else if (inherited !== null) {
      this._body = inherited._take();
    }
  }

  /**
   * internal: a request as it arrived at the gateway. A text `body` is ASCII-only (the host
   * sends such bodies as text): its characters are its bytes.
   */
  static _incoming(method: string, url: string, wire: string, body: ArrayBuffer | ReadableStream | string | null): Request {
    const r = new Request(INCOMING);
    r.#method = method;
    r.#url = url;
    r.#wire = wire;
    if (body instanceof ReadableStream || typeof body === 'string') r._body = body;
    else if (body !== null) r._body = new Uint8Array(body);
    return r;
  }

  /** internal: the client of an incoming request went away: its signal aborts. */
  _abort(reason: unknown): void {
    if (this.#signal === null) {
      this.#controller = new AbortController();
      this.#signal = this.#controller.signal;
    }
    this.#controller?.abort(reason);
  }

  get method(): string {
    return this.#method;
  }
  get url(): string {
    return this.#url;
  }
  get headers(): Headers {
    if (this.#headers === null) this.#headers = Headers._fromWire(this.#wire);
    return this.#headers;
  }
  get signal(): AbortSignal {
    if (this.#signal === null) {
      this.#controller = new AbortController();
      this.#signal = this.#controller.signal;
    }
    return this.#signal;
  }
  get redirect(): string {
    return this.#redirect;
  }
  get cache(): string {
    return 'default';
  }
  get credentials(): string {
    return 'same-origin';
  }
  get mode(): string {
    return 'cors';
  }
  get destination(): string {
    return '';
  }
  get referrer(): string {
    return 'about:client';
  }
  get referrerPolicy(): string {
    return '';
  }
  get integrity(): string {
    return '';
  }
  get keepalive(): boolean {
    return false;
  }
  clone(): Request {
    const r = new Request(INCOMING);
    r.#method = this.#method;
    r.#url = this.#url;
    r.#headers = new Headers(this.headers);
    r.#signal = this.signal;
    r.#redirect = this.#redirect;
    r._body = cloneBody(this);
    return r;
  }
  /** internal: wire headers without materialising them */
  _wireHeaders(): string {
    return this.#headers === null ? this.#wire : this.#headers._toWire();
  }
  get [Symbol.toStringTag](): string {
    return 'Request';
  }
}

const INCOMING = Symbol('incoming');
const NULL_BODY = new Set([101, 103, 204, 205, 304]);
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export interface ResponseInit {
  status?: number;
  statusText?: string;
  headers?: HeadersInit;
  /** With status 101: the client end of a WebSocketPair (Workers). */
  webSocket?: unknown;
}

export class Response extends Body {
  #status = 200;
  #statusText = '';
  #headers: Headers | null = null;
  #wire = '';
  #type = 'default';
  #url = '';
  #webSocket: unknown = null;

  constructor(body?: BodyInit, init?: ResponseInit) {
    super();
    if ((body as unknown) === INCOMING) return;
    if (init !== undefined && init !== null) {
      const ws = init.webSocket;
      if (ws !== undefined && ws !== null) {
        if (Number(init.status) !== 101) throw new RangeError("Failed to construct 'Response': a webSocket needs status 101");
        this.#webSocket = ws;
      }
      if (init.status !== undefined) {
        const s = Number(init.status);
        if (s === 101 && this.#webSocket !== null) this.#status = 101;
        else if (!Number.isInteger(s) || s < 200 || s > 599) {
          throw new RangeError(`Failed to construct 'Response': The status provided (${init.status}) is outside the range [200, 599].`);
        }
        this.#status = s;
      }
      if (init.statusText !== undefined) {
        const t = String(init.statusText);
        if (!/^[\t\x20-\x7e\x80-\xff]*$/.test(t)) throw new TypeError(`Failed to construct 'Response': Invalid statusText`);
        this.#statusText = t;
      }
      if (init.headers !== undefined) this.#headers = new Headers(init.headers);
    }
    if (body !== undefined && body !== null) {
      if (NULL_BODY.has(this.#status)) throw new TypeError('Response with null body status cannot have body');
      const { body: b, type } = extractBody(body);
      this._body = b;
      if (type !== null) {
        const h = this.headers;
        if (!h.has('content-type')) h.set('content-type', type);
      }
    }
  }

  /** internal: a response from an outbound fetch */
  static _incoming(status: number, statusText: string, wire: string, body: ArrayBuffer | ReadableStream | null, url: string): Response {
    const r = new Response(INCOMING as unknown as BodyInit);
    r.#status = status;
    r.#statusText = statusText;
    r.#wire = wire;
    r.#url = url;
    r.#type = 'basic';
    if (body instanceof ReadableStream) r._body = body;
    else if (body !== null) r._body = new Uint8Array(body);
    return r;
  }

  /** The client end of the WebSocket this 101 response accepts (Workers), or null. */
  get webSocket(): unknown {
    return this.#webSocket;
  }

  static json(data: unknown, init: ResponseInit = {}): Response {
    const text = JSON.stringify(data);
    if (text === undefined) throw new TypeError('Value is not JSON serializable');
    const r = new Response(text, init);
    r.headers.set('content-type', 'application/json');
    if (init?.headers !== undefined) {
      const given = new Headers(init.headers).get('content-type');
      if (given !== null) r.headers.set('content-type', given);
    }
    return r;
  }
  static redirect(url: string | URL, status = 302): Response {
    if (!REDIRECTS.has(status)) throw new RangeError(`Failed to execute 'redirect' on 'Response': Invalid status code ${status}`);
    const r = new Response(null, { status, headers: { location: new URL(String(url)).href } });
    r.headers._freeze();
    return r;
  }
  static error(): Response {
    const r = new Response(null, {});
    r.#status = 0;
    r.#type = 'error';
    r.headers._freeze();
    return r;
  }

  get status(): number {
    return this.#status;
  }
  get statusText(): string {
    return this.#statusText;
  }
  get ok(): boolean {
    return this.#status >= 200 && this.#status <= 299;
  }
  get headers(): Headers {
    if (this.#headers === null) this.#headers = Headers._fromWire(this.#wire);
    return this.#headers;
  }
  get type(): string {
    return this.#type;
  }
  get url(): string {
    return this.#url;
  }
  get redirected(): boolean {
    return false;
  }
  clone(): Response {
    const r = new Response(INCOMING as unknown as BodyInit);
    r.#status = this.#status;
    r.#statusText = this.#statusText;
    r.#headers = new Headers(this.headers);
    r.#type = this.#type;
    r.#url = this.#url;
    r._body = cloneBody(this);
    return r;
  }
  /** internal: wire headers without materialising them */
  _wireHeaders(): string {
    return this.#headers === null ? this.#wire : this.#headers._toWire();
  }
  get [Symbol.toStringTag](): string {
    return 'Response';
  }
}
