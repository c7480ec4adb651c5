// WebSockets as Workers has them, for functions of the `node` runtime (docs/runtime.md,
// WebSockets): `new WebSocketPair()` gives two ends; the function keeps `server` (accept(),
// send(), close(), message/close/error events, readyState) and returns `client` in
// `new Response(null, { status: 101, webSocket: client })`. Node's Response refuses 101,
// so the global Response takes it when a webSocket comes with it. Once answered, the server
// end gets a number and talks to the platform over the IPC channel only, as an isolate's
// shim does over its own (the platform's end is runtime/host-sockets.ts): out `ws-send`,
// `ws-close`, `ws-ack` (each client message once its listeners ran); in `ws-message`,
// `ws-close`, `ws-taken` (bytes of what the function sent that the platform took: at most
// the window set at load may go unconfirmed). A close from the platform is answered with
// `ws-closed` once the close listeners ran. Text crosses as strings, binary as bytes.
// `new WebSocket(url, protocols)` opens one outbound through the platform (its egress rules,
// from the host: the process needs no network): out `ws-connect` (its number, invocation, URL
// and subprotocols), in `ws-opened` (the subprotocol the server chose) or `ws-refused` (why:
// an `error` event, then `close` with 1006); once open it talks as an accepted one does.
// `close()` while it is connecting fails it, as the standard says: `error`, then `close`
// 1006 (not clean); the platform's later `ws-opened` finds no socket and closes it (1001).

import { webSocketTarget } from './ws-target.mjs';

const PAIRED = Symbol('paired');
/** Server ends answered in a 101, by their number. */
const bound = new Map();
let nextId = 1;
let sendWindow = 8 * 1024 * 1024;

/** The platform's channel, and how a listener runs in its invocation (its console lines are that invocation's). */
let send = () => {};
let enter = (_invocationId, fn) => fn();
let invocation = () => '';

class CloseEvent extends Event {
  constructor(type, init = {}) {
    super(type, init);
    this.code = Number(init?.code ?? 0);
    this.reason = String(init?.reason ?? '');
    this.wasClean = Boolean(init?.wasClean);
  }
}

/** A message's data as the function gets it: a string, or an ArrayBuffer of exactly its bytes. */
function dataOf(data) {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return data;
  if (ArrayBuffer.isView(data)) {
    const { buffer, byteOffset, byteLength } = data;
    return byteOffset === 0 && byteLength === buffer.byteLength && buffer instanceof ArrayBuffer ? buffer : buffer.slice(byteOffset, byteOffset + byteLength);
  }
  return String(data);
}

// The module's own ways into a socket, set by the class's static block: none is a property user code could call.
let pairOf;
let bindOf;
let messageTo;
let closeOf;
let takenBy;
let openedOf;

class WebSocket extends EventTarget {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSING = 2;
  static CLOSED = 3;
  binaryType = 'arraybuffer';
  #state = 1;
  /** The other end of the pair (the client end points at the server end until it is answered). */
  #other = null;
  #id = 0;
  #invocationId = '';
  #accepted = false;
  #waiting = [];
  /** Bytes sent that the platform has not yet confirmed taking. */
  #unconfirmed = 0;
  #url = null;
  #protocol = '';

  /** `new WebSocket(url, protocols)`: opened by the platform, the egress rules applied. */
  constructor(url, protocols) {
    super();
    if (url === PAIRED) return;
    if (arguments.length === 0) throw new TypeError("Failed to construct 'WebSocket': 1 argument required, but only 0 present.");
    const { target, list } = webSocketTarget(url, protocols, URL, DOMException);
    this.#url = target.href;
    this.#state = 0;
    this.#accepted = true;
    const id = nextId;
    nextId = id >= 2 ** 31 - 1 ? 1 : id + 1;
    this.#id = id;
    this.#invocationId = invocation();
    bound.set(id, this);
    send({ t: 'ws-connect', id, invocationId: this.#invocationId, url: target.href, protocols: list.join('\n') });
  }

  get readyState() {
    return this.#state;
  }

  get url() {
    return this.#url;
  }

  get protocol() {
    return this.#protocol;
  }

  get extensions() {
    return '';
  }

  static {
    pairOf = () => {
      const client = new WebSocket(PAIRED);
      const server = new WebSocket(PAIRED);
      client.#other = server;
      return [client, server];
    };
    bindOf = (client, invocationId) => {
      if (!(client instanceof WebSocket)) return null;
      const server = client.#other;
      if (server === null || server.#id !== 0 || server.#state !== 1) return null;
      client.#other = null;
      const id = nextId;
      nextId = id >= 2 ** 31 - 1 ? 1 : id + 1;
      server.#id = id;
      server.#invocationId = invocationId;
      bound.set(id, server);
      return id;
    };
    messageTo = (s, data) => s.#message(data);
    closeOf = (s, code, reason) => s.#closed(code, reason);
    takenBy = (s, bytes) => {
      s.#unconfirmed = Math.max(0, s.#unconfirmed - bytes);
    };
    openedOf = (s, ok, value) => s.#opened(ok, value);
  }

  /** The platform's answer to `ws-connect`: open (the subprotocol), or refused (why). */
  #opened(ok, value) {
    if (this.#state !== 0) return;
    enter(this.#invocationId, () => {
      if (!ok) {
        bound.delete(this.#id);
        this.#failed(String(value));
      } else {
        this.#state = 1;
        this.#protocol = String(value ?? '');
        this.dispatchEvent(new Event('open'));
      }
    });
  }

  /** The connection failed: an `error` event (saying why), then `close` 1006, not clean. */
  #failed(message) {
    this.#state = 3;
    const error = new Event('error');
    error.message = message;
    this.dispatchEvent(error);
    this.dispatchEvent(new CloseEvent('close', { code: 1006, reason: '', wasClean: false }));
  }

  accept() {
    if (this.#accepted) throw new DOMException('accept() was already called on this WebSocket', 'InvalidStateError');
    this.#accepted = true;
    const waiting = this.#waiting;
    this.#waiting = [];
    if (waiting.length > 0) queueMicrotask(() => {
      for (const run of waiting) run();
    });
  }

  send(data) {
    if (this.#state !== 1) throw new DOMException('the WebSocket is not open', 'InvalidStateError');
    if (!this.#accepted) throw new DOMException('call accept() before send()', 'InvalidStateError');
    let out;
    if (typeof data === 'string') out = data;
    // the channel copies what it sends: the bytes are the caller's at the time of the call
    else if (data instanceof ArrayBuffer) out = new Uint8Array(data);
    else if (ArrayBuffer.isView(data)) out = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    else out = String(data);
    if (this.#id === 0) throw new DOMException('the WebSocket is not connected yet: return its client end in a 101 Response first', 'InvalidStateError');
    this.#unconfirmed += typeof out === 'string' ? Buffer.byteLength(out) : out.byteLength;
    if (this.#unconfirmed > sendWindow) {
      // sent faster than the platform takes it: the socket is closed rather than buffered without bound
      this.#state = 2;
      send({ t: 'ws-close', id: this.#id, code: 1008, reason: 'the function sent faster than the platform could take' });
      throw new DOMException(`over ${sendWindow} bytes sent and not yet taken by the platform; the socket is closed (1008)`, 'InvalidStateError');
    }
    send({ t: 'ws-send', id: this.#id, data: out });
  }

  close(code, reason) {
    if (code !== undefined && code !== 1000 && !(Number.isInteger(code) && code >= 3000 && code <= 4999)) {
      throw new DOMException(`the close code must be 1000 or in 3000–4999, not ${code}`, 'InvalidAccessError');
    }
    const why = reason === undefined ? '' : String(reason);
    if (Buffer.byteLength(why) > 123) throw new DOMException('the close reason must be at most 123 bytes', 'SyntaxError');
    if (this.#state >= 2) return;
    if (this.#state === 0) {
      // fails the connection (the standard's close() while CONNECTING): no longer this socket's, so an
      // opening the platform finishes later is closed (ws-opened for no socket); the events come in a later task
      this.#state = 2;
      bound.delete(this.#id);
      setImmediate(() => enter(this.#invocationId, () => this.#failed('the WebSocket was closed before the connection was established')));
      return;
    }
    this.#state = 2;
    if (this.#id !== 0) send({ t: 'ws-close', id: this.#id, code: code ?? 1000, reason: why });
  }

  /** A client message: acknowledged once the listeners ran (after accept()). */
  #message(data) {
    const run = () => {
      try {
        if (this.#state === 1) enter(this.#invocationId, () => this.dispatchEvent(new MessageEvent('message', { data: dataOf(data) })));
      } finally {
        send({ t: 'ws-ack', id: this.#id });
      }
    };
    if (this.#accepted) run();
    else this.#waiting.push(run);
  }

  /** The socket is closed (the client's close, or the platform's: 1006 after an error event when the connection was lost). */
  #closed(code, reason) {
    bound.delete(this.#id);
    const run = () => {
      if (this.#state === 3) return;
      this.#state = 3;
      try {
        enter(this.#invocationId, () => {
          if (code === 1006) this.dispatchEvent(new Event('error'));
          this.dispatchEvent(new CloseEvent('close', { code, reason, wasClean: code !== 1006 }));
        });
      } finally {
        send({ t: 'ws-closed', id: this.#id });
      }
    };
    if (this.#accepted) run();
    else {
      // not accepted yet: its listeners run after accept(), and the platform is not kept waiting for them
      this.#waiting.push(run);
      send({ t: 'ws-closed', id: this.#id });
    }
  }

  get [Symbol.toStringTag]() {
    return 'WebSocket';
  }
}

// onmessage, onclose, onerror, onopen: one listener each, replaced when set again
for (const type of ['message', 'close', 'error', 'open']) {
  const slot = new WeakMap();
  Object.defineProperty(WebSocket.prototype, `on${type}`, {
    get() {
      return slot.get(this)?.handler ?? null;
    },
    set(handler) {
      const old = slot.get(this);
      if (old !== undefined) this.removeEventListener(type, old.listener);
      slot.delete(this);
      if (typeof handler !== 'function') return;
      const listener = (event) => handler.call(this, event);
      slot.set(this, { handler, listener });
      this.addEventListener(type, listener);
    },
    enumerable: true,
    configurable: true,
  });
}
for (const [name, value] of [['CONNECTING', 0], ['OPEN', 1], ['CLOSING', 2], ['CLOSED', 3]]) {
  Object.defineProperty(WebSocket.prototype, name, { value, enumerable: true });
}

/** `new WebSocketPair()`: `{ 0: client, 1: server }`, as Workers has it. */
class WebSocketPair {
  constructor() {
    const [client, server] = pairOf();
    this[0] = client;
    this[1] = server;
  }
}

/** The client end a 101 Response was made with (this module's Response only), by response. */
const upgrades = new WeakMap();

/**
 * Node's Response, taking status 101 with a webSocket (a pair's end) as Workers does: made
 * as a 200 without a body, then showing 101. Anything else is Node's own, errors included.
 */
function responseTaking101(NodeResponse) {
  return new Proxy(NodeResponse, {
    construct(target, args, newTarget) {
      const init = args[1];
      const webSocket = init === null || typeof init !== 'object' ? undefined : init.webSocket;
      if (webSocket === undefined || webSocket === null) return Reflect.construct(target, args, newTarget);
      if (Number(init.status) !== 101) throw new RangeError("Failed to construct 'Response': a webSocket needs status 101");
      if (!(webSocket instanceof WebSocket)) throw new TypeError("Failed to construct 'Response': webSocket must be an end of a WebSocketPair");
      if (args[0] !== undefined && args[0] !== null) throw new TypeError("Failed to construct 'Response': a 101 response cannot have a body");
      const response = Reflect.construct(target, [null, { headers: init.headers, statusText: init.statusText }], newTarget);
      Object.defineProperties(response, {
        status: { value: 101, enumerable: true },
        ok: { value: false, enumerable: true },
        webSocket: { value: webSocket, enumerable: true },
      });
      upgrades.set(response, webSocket);
      return response;
    },
  });
}

/** Sets up the globals: WebSocketPair, and a Response that takes a 101 with a webSocket. */
export function installWebSockets(channel) {
  send = channel.send;
  enter = channel.enter;
  invocation = channel.invocation;
  globalThis.Response = responseTaking101(globalThis.Response);
  Object.defineProperty(globalThis, 'WebSocketPair', { value: WebSocketPair, writable: true, configurable: true });
  Object.defineProperty(globalThis, 'WebSocket', { value: WebSocket, writable: true, configurable: true });
  globalThis.CloseEvent ??= CloseEvent;
}

/** How much the function may send that the platform has not yet confirmed (set by the platform at load). */
export function setSendWindow(bytes) {
  if (Number.isSafeInteger(bytes) && bytes > 0) sendWindow = bytes;
}

/** The client end a response accepts a WebSocket with, or null (not a 101 made here). */
export function upgradeOf(response) {
  return upgrades.get(response) ?? null;
}

/** The response's client end was answered: its server end gets a number (null when it cannot: used, or closed). */
export function bindSocket(client, invocationId) {
  return bindOf(client, invocationId);
}

/** `ws-message`, `ws-close`, `ws-taken`, `ws-opened`, `ws-refused` from the platform. */
export function onSocketMessage(m) {
  const s = bound.get(m.id);
  if (m.t === 'ws-opened' || m.t === 'ws-refused') {
    if (s !== undefined) openedOf(s, m.t === 'ws-opened', m.t === 'ws-opened' ? m.protocol : m.message);
    else if (m.t === 'ws-opened') send({ t: 'ws-close', id: m.id, code: 1001, reason: 'the socket is gone' });
  } else if (m.t === 'ws-message') {
    // a socket already gone is acknowledged all the same, so the platform's count stays right
    if (s === undefined) send({ t: 'ws-ack', id: m.id });
    else messageTo(s, m.data);
  } else if (m.t === 'ws-close') {
    if (s !== undefined) closeOf(s, Number(m.code), String(m.reason ?? ''));
    else send({ t: 'ws-closed', id: m.id });
  } else if (s !== undefined) takenBy(s, Number(m.bytes) || 0);
}
