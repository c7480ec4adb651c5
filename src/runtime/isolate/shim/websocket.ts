/**
 * WebSockets as Workers has them: `new WebSocketPair()` gives two ends; the function keeps
 * `server` (accept(), send(), close(), message/close/error events) and returns `client` in
 * `new Response(null, { status: 101, webSocket: client })`. The server end then gets a number
 * (bind) and talks to the host only through numbered messages (protocol.ts): no host object
 * is ever inside the isolate. Messages that arrive before accept() wait for it, unacknowledged,
 * so the host stops reading the client meanwhile.
 */
import { webSocketTarget } from '../../process/node-worker/ws-target.mjs';
import { blockedPort } from './bad-ports.ts';
import { OP_WS_CONNECT, OUT_WS_ACK, OUT_WS_CLOSE, OUT_WS_SEND, WS_SEND_WINDOW } from '../protocol.ts';
import { hostCall } from './calls.ts';
import { URL } from './url.ts';
import { send } from './bridge.ts';
import { exactBuffer, utf8Encode } from './encoding.ts';
import { DOMException, Event, EventTarget, markTrusted, type EventInit } from './events.ts';
import { currentInvocation, enter, type Invocation } from './state.ts';

/** The HTML Standard's MessageEvent (`data`, `origin`, `lastEventId`: WebSocket and EventSource; no ports). */
export class MessageEvent extends Event {
  readonly data: unknown;
  readonly origin: string;
  readonly lastEventId: string;
  readonly source: null = null;
  readonly ports: readonly unknown[] = Object.freeze([]);
  constructor(type: string, init: EventInit & { data?: unknown; origin?: string; lastEventId?: string } = {}) {
    super(type, init);
    this.data = init?.data ?? null;
    this.origin = init?.origin === undefined ? '' : String(init.origin);
    this.lastEventId = init?.lastEventId === undefined ? '' : String(init.lastEventId);
  }
}

export class CloseEvent extends Event {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
  constructor(type: string, init: EventInit & { code?: number; reason?: string; wasClean?: boolean } = {}) {
    super(type, init);
    this.code = Number(init?.code ?? 0);
    this.reason = String(init?.reason ?? '');
    this.wasClean = Boolean(init?.wasClean);
  }
}

const bound = new Map<number, WebSocket>();
let nextId = 1;
const PAIRED = Symbol('paired');

type Data = string | ArrayBuffer;

// The shim's own ways into a socket, set by the class's static block: none of them is a
// property user code could call (a forged "handled" or a forged invocation).
let pairOf: () => [WebSocket, WebSocket];
let bindOf: (client: unknown, inv: Invocation, onOver: () => void) => number | null;
let messageTo: (s: WebSocket, data: unknown) => void;
let closeOf: (s: WebSocket, code: number, reason: string) => void;
let takenBy: (s: WebSocket, bytes: number) => void;

export class WebSocket extends EventTarget {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSING = 2;
  readonly CLOSED = 3;
  onmessage: ((e: MessageEvent) => unknown) | null = null;
  onclose: ((e: CloseEvent) => unknown) | null = null;
  onerror: ((e: Event) => unknown) | null = null;
  onopen: ((e: Event) => unknown) | null = null;
  binaryType = 'arraybuffer';
  #state = 1;
  /** The other end of the pair (the client end points at the server end). */
  #other: WebSocket | null = null;
  #id = 0;
  #inv: Invocation | null = null;
  #accepted = false;
  #waiting: Array<() => void> = [];
  #onOver: (() => void) | null = null;
  /** Bytes sent that the host has not yet confirmed taking (IN_WS_TAKEN). */
  #unconfirmed = 0;

  #url: string | null = null;
  #protocol = '';

  /** `new WebSocket(url, protocols)`: opened by the platform, the egress rules applied. */
  constructor(url?: unknown, protocols?: string | string[]) {
    super();
    if (url === PAIRED) return;
    const { target, list } = webSocketTarget(url, protocols, URL, DOMException);
    this.#url = target.href;
    this.#state = 0;
    this.#accepted = true;
    const id = nextId;
    nextId = id >= 2 ** 31 - 1 ? 1 : id + 1;
    this.#id = id;
    const inv = currentInvocation();
    this.#inv = inv;
    bound.set(id, this);
    const connecting = blockedPort(target)
      ? Promise.reject(`the port ${target.port} is a bad port (the Fetch Standard's list): no connection is tried`)
      : hostCall(OP_WS_CONNECT, id, target.href, list.join('\n'));
    connecting.then(
      (chosen) => {
        enter(inv);
        if (this.#state !== 0) {
          // closed while connecting: the function was told it failed; the platform's end goes too
          bound.delete(id);
          send(OUT_WS_CLOSE, id, 1001, 'the socket is gone');
          return;
        }
        this.#state = 1;
        this.#protocol = String(chosen ?? '');
        this.dispatchEvent(markTrusted(new Event('open')));
      },
      (error: unknown) => {
        enter(inv);
        bound.delete(id);
        if (this.#state === 3) return;
        this.#state = 3;
        const ev = markTrusted(new Event('error')) as Event & { message?: string };
        ev.message = String(error);
        this.dispatchEvent(ev);
        this.dispatchEvent(markTrusted(new CloseEvent('close', { code: 1006, reason: '', wasClean: false })));
      },
    );
  }

  get readyState(): number {
    return this.#state;
  }

  get url(): string | null {
    return this.#url;
  }

  get protocol(): string {
    return this.#protocol;
  }

  get extensions(): string {
    return '';
  }

  static {
    pairOf = () => WebSocket.#pair();
    bindOf = (client, inv, onOver) => WebSocket.#bind(client, inv, onOver);
    messageTo = (s, data) => s.#message(data);
    closeOf = (s, code, reason) => s.#closed(code, reason);
    takenBy = (s, bytes) => {
      s.#unconfirmed = Math.max(0, s.#unconfirmed - bytes);
    };
  }

  /** Pairs two ends. */
  static #pair(): [WebSocket, WebSocket] {
    const client = new WebSocket(PAIRED);
    const server = new WebSocket(PAIRED);
    client.#other = server;
    return [client, server];
  }

  /** internal: the client end was returned in a 101 response; its server end gets a number. Null when it cannot be. */
  static #bind(client: unknown, inv: Invocation, onOver: () => void): number | null {
    if (!(client instanceof WebSocket)) return null;
    const server = client.#other;
    if (server === null || server.#id !== 0 || server.#state !== 1) return null;
    client.#other = null;
    const id = nextId;
    nextId = id >= 2 ** 31 - 1 ? 1 : id + 1;
    server.#id = id;
    server.#inv = inv;
    server.#onOver = onOver;
    bound.set(id, server);
    return id;
  }

  accept(): void {
    if (this.#accepted) throw new DOMException('accept() was already called on this WebSocket', 'InvalidStateError');
    this.#accepted = true;
    const waiting = this.#waiting;
    this.#waiting = [];
    if (waiting.length > 0) queueMicrotask(() => {
      for (const run of waiting) run();
    });
  }

  send(data: unknown): void {
    if (this.#state !== 1) throw new DOMException('the WebSocket is not open', 'InvalidStateError');
    if (!this.#accepted) throw new DOMException('call accept() before send()', 'InvalidStateError');
    let out: Data;
    if (typeof data === 'string') out = data;
    else if (data instanceof ArrayBuffer) out = data.slice(0);
    else if (ArrayBuffer.isView(data)) out = exactBuffer(new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice());
    else out = String(data);
    if (this.#id === 0) throw new DOMException('the WebSocket is not connected yet: return its client end in a 101 Response first', 'InvalidStateError');
    const size = typeof out === 'string' ? out.length : out.byteLength;
    this.#unconfirmed += size;
    if (this.#unconfirmed > WS_SEND_WINDOW) {
      // sent faster than the platform takes it: the socket is closed rather than buffered without bound
      this.#state = 2;
      send(OUT_WS_CLOSE, this.#id, 1008, 'the function sent faster than the platform could take');
      throw new DOMException(`over ${WS_SEND_WINDOW} bytes sent and not yet taken by the platform; the socket is closed (1008)`, 'InvalidStateError');
    }
    send(OUT_WS_SEND, this.#id, out);
  }

  close(code?: number, reason?: string): void {
    if (code !== undefined && code !== 1000 && !(Number.isInteger(code) && code >= 3000 && code <= 4999)) {
      throw new DOMException(`the close code must be 1000 or in 3000–4999, not ${code}`, 'InvalidAccessError');
    }
    const why = reason === undefined ? '' : String(reason);
    if (utf8Encode(why).length > 123) throw new DOMException('the close reason must be at most 123 bytes', 'SyntaxError');
    if (this.#state >= 2) return;
    const connecting = this.#state === 0;
    this.#state = 2;
    if (connecting && this.#url !== null) {
      // a close while connecting fails the connection (the WebSocket standard): error, then close 1006
      void Promise.resolve().then(() => {
        if (this.#state !== 2) return;
        this.#state = 3;
        this.dispatchEvent(markTrusted(new Event('error')));
        this.dispatchEvent(markTrusted(new CloseEvent('close', { code: 1006, reason: '', wasClean: false })));
      });
      return;
    }
    if (this.#id !== 0 && !connecting) send(OUT_WS_CLOSE, this.#id, code ?? 1000, why);
  }

  /** IN_WS_MESSAGE. Acknowledged once the listeners ran (after accept()). */
  #message(data: unknown): void {
    const run = () => {
      const inv = this.#inv;
      if (inv !== null) enter(inv);
      try {
        if (this.#state === 1) this.dispatchEvent(markTrusted(new MessageEvent('message', { data: typeof data === 'string' ? data : data instanceof ArrayBuffer ? data : String(data) })));
      } finally {
        send(OUT_WS_ACK, this.#id);
      }
    };
    if (this.#accepted) run();
    else this.#waiting.push(run);
  }

  /** IN_WS_CLOSE. */
  #closed(code: number, reason: string): void {
    const run = () => {
      if (this.#state === 3) return;
      this.#state = 3;
      bound.delete(this.#id);
      const inv = this.#inv;
      if (inv !== null) enter(inv);
      if (code === 1006) this.dispatchEvent(markTrusted(new Event('error')));
      this.dispatchEvent(markTrusted(new CloseEvent('close', { code, reason, wasClean: code !== 1006 })));
      this.#onOver?.();
    };
    if (this.#accepted) run();
    else this.#waiting.push(run);
  }

  get [Symbol.toStringTag](): string {
    return 'WebSocket';
  }
}

/** The client end of a pair returned in a 101 response: its server end gets a number; null when it cannot. */
export function bindSocket(client: unknown, inv: Invocation, onOver: () => void): number | null {
  return bindOf(client, inv, onOver);
}

/** `new WebSocketPair()`: `{ 0: client, 1: server }`, as Workers has it. */
export class WebSocketPair {
  0: WebSocket;
  1: WebSocket;
  constructor() {
    const [client, server] = pairOf();
    this[0] = client;
    this[1] = server;
  }
}

export function onSocketMessage(id: number, data: unknown): void {
  const s = bound.get(id);
  if (s === undefined) {
    // the socket is gone: acknowledge, so the host's count stays right
    send(OUT_WS_ACK, id);
    return;
  }
  messageTo(s, data);
}

export function onSocketTaken(id: number, bytes: unknown): void {
  const s = bound.get(id);
  if (s !== undefined) takenBy(s, Number(bytes) || 0);
}

export function onSocketClose(id: number, code: unknown, reason: unknown): void {
  const s = bound.get(id);
  if (s === undefined) return;
  bound.delete(id);
  closeOf(s, Number(code), String(reason ?? ''));
}
