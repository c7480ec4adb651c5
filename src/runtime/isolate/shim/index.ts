/**
 * The shim's entry: installs the Web APIs on the isolate's global object and yields
 * `recv`, the one function the host calls. Bundled once per process by shim-source.ts;
 * the bundle's completion value is `recv`.
 */
// first: resizable buffers count toward the memory limit, and the modules below keep its transfer
import './resizable.ts';
import { IN_ABORT, IN_CANARY, IN_CANCEL, IN_DATA, IN_FETCH, IN_HANDLER, IN_HANDLER_JSON, IN_NODE_SOCKET, IN_PULL, IN_REPLY, IN_SETUP, IN_TIMER, IN_WARM, IN_WS_CLOSE, IN_WS_MESSAGE, IN_WS_TAKEN } from '../protocol.ts';
import { CloseEvent, MessageEvent, WebSocket, WebSocketPair, onSocketClose, onSocketMessage, onSocketTaken } from './websocket.ts';
import { onCancel, onData, onPull } from './host-streams.ts';
import { AbortController, AbortSignal } from './abort.ts';
import { Blob, File, FormData } from './blob.ts';
import { FileReader, ProgressEvent } from './filereader.ts';
import { Request, Response } from './body.ts';
import { onReply } from './calls.ts';
import { onNodeSocket } from './node-sockets.ts';
import { structuredClone } from './clone.ts';
import { CompressionStream, DecompressionStream } from './compression.ts';
import { console } from './console.ts';
import { CryptoKey, SubtleCrypto, crypto } from './crypto.ts';
import { onAbort, onFetch, onHandler, setup, warm } from './dispatch.ts';
import { TextDecoder, TextEncoder, atob, btoa } from './encoding.ts';
import { CustomEvent, DOMException, Event, EventTarget, QuotaExceededError } from './events.ts';
import { fetch } from './fetch.ts';
import { Headers } from './headers.ts';
import {
  ByteLengthQueuingStrategy,
  CountQueuingStrategy,
  ReadableByteStreamController,
  ReadableStream,
  ReadableStreamBYOBReader,
  ReadableStreamBYOBRequest,
  ReadableStreamDefaultController,
  ReadableStreamDefaultReader,
  TextDecoderStream,
  TextEncoderStream,
  TransformStream,
  TransformStreamDefaultController,
  WritableStream,
  WritableStreamDefaultController,
  WritableStreamDefaultWriter,
} from './streams.ts';
import { clearInterval, clearTimeout, fireTimer, queueMicrotask, setInterval, setTimeout } from './timers.ts';
import { URL, URLSearchParams } from './url.ts';
// WebAssembly stays, wrapped so that its memory counts toward the function's limit
import './wasm.ts';

const g = globalThis as unknown as Record<string, unknown>;


let timeOrigin = Date.now();
const performance = {
  now: () => Date.now() - timeOrigin,
  get timeOrigin() {
    return timeOrigin;
  },
  toJSON: () => ({ timeOrigin }),
};

const globals: Record<string, unknown> = {
  console,
  TextEncoder,
  TextDecoder,
  atob,
  btoa,
  URL,
  URLSearchParams,
  Headers,
  Request,
  Response,
  Blob,
  File,
  FileReader,
  ProgressEvent,
  FormData,
  ReadableStream,
  ReadableStreamDefaultReader,
  ReadableStreamDefaultController,
  ReadableStreamBYOBReader,
  ReadableStreamBYOBRequest,
  ReadableByteStreamController,
  WritableStream,
  WritableStreamDefaultWriter,
  WritableStreamDefaultController,
  TransformStream,
  TransformStreamDefaultController,
  ByteLengthQueuingStrategy,
  CountQueuingStrategy,
  TextEncoderStream,
  TextDecoderStream,
  CompressionStream,
  DecompressionStream,
  AbortController,
  AbortSignal,
  Event,
  CustomEvent,
  EventTarget,
  DOMException,
  QuotaExceededError,
  setTimeout,
  clearTimeout,
  setInterval,
  clearInterval,
  queueMicrotask,
  structuredClone,
  crypto,
  CryptoKey,
  SubtleCrypto,
  fetch,
  WebSocket,
  WebSocketPair,
  MessageEvent,
  CloseEvent,
  performance,
  navigator: Object.freeze({ userAgent: 'Nimbus', language: 'en-US', hardwareConcurrency: 1 }),
  self: globalThis,
};
for (const name of Object.keys(globals)) {
  const value = globals[name];
  // the bundler renames some classes to avoid clashes (Request becomes _Request): a
  // constructor's name is what scripts see (`x.constructor.name`), so it is put back
  if (typeof value === 'function' && value.name !== name) Object.defineProperty(value, 'name', { value: name, configurable: true });
  Object.defineProperty(g, name, { value, writable: true, configurable: true, enumerable: false });
}
// the global object is an EventTarget, as a worker's global scope is
Object.setPrototypeOf(g, EventTarget.prototype);

/** Captured before user code runs, which may replace JSON.parse on its global. */
const parseJson = JSON.parse;

/** An event sent as JSON text: its value, or the text itself when it is not JSON (as the queue's consumer reads a payload). */
function eventOf(json: string): unknown {
  try {
    return parseJson(json);
  } catch {
    return json;
  }
}

/** Held here so GC never collects them (ivm would then report them abandoned). */
const canaries: Array<Promise<never>> = [];

export function recv(
  kind: number,
  a?: unknown,
  b?: unknown,
  c?: unknown,
  d?: unknown,
  e?: unknown,
  f?: unknown,
  h?: unknown,
  i?: unknown,
  j?: unknown,
  k?: unknown,
): unknown {
  switch (kind) {
    case IN_FETCH: {
      const text = e as string;
      const i1 = text.indexOf('\n');
      const i2 = text.indexOf('\n', i1 + 1);
      const i3 = text.indexOf('\n', i2 + 1);
      const i4 = text.indexOf('\n', i3 + 1);
      onFetch(
        a as number,
        text.slice(0, i1),
        b as number,
        c as number,
        text.slice(i1 + 1, i2),
        d as number,
        text.slice(i2 + 1, i3),
        text.slice(i3 + 1, i4),
        text.slice(i4 + 1),
        f as ArrayBuffer | string | number | null,
      );
      return undefined;
    }
    case IN_PULL:
      onPull(a as number, b as number);
      return undefined;
    case IN_CANCEL:
      onCancel(a as number, b);
      return undefined;
    case IN_DATA:
      onData(a as number, b, c);
      return undefined;
    case IN_WS_MESSAGE:
      onSocketMessage(a as number, b);
      return undefined;
    case IN_WS_TAKEN:
      onSocketTaken(a as number, b);
      return undefined;
    case IN_WS_CLOSE:
      onSocketClose(a as number, b, c);
      return undefined;
    case IN_HANDLER:
      onHandler(a as number, b as string, c as number, d as number, e as string, f as number, h as number, i);
      return undefined;
    case IN_HANDLER_JSON: {
      const text = f as string;
      const i1 = text.indexOf('\n');
      const i2 = text.indexOf('\n', i1 + 1);
      onHandler(a as number, text.slice(0, i1), b as number, c as number, text.slice(i1 + 1, i2), d as number, e as number, eventOf(text.slice(i2 + 1)));
      return undefined;
    }
    case IN_TIMER:
      fireTimer(a as number);
      return undefined;
    case IN_REPLY:
      onReply(a as number, Boolean(b), c);
      return undefined;
    case IN_ABORT:
      onAbort(a as number);
      return undefined;
    case IN_NODE_SOCKET:
      onNodeSocket(a as number, b as number, c as string, d);
      return undefined;
    case IN_WARM:
      return warm();
    case IN_CANARY: {
      const p = new Promise<never>(() => undefined);
      canaries.push(p);
      return p;
    }
    case IN_SETUP:
      timeOrigin = Date.now();
      return setup(a as Record<string, string>, b as number);
    default:
      return undefined;
  }
}
