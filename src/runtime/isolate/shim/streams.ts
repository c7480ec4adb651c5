/**
 * WHATWG Streams in the isolate: web-streams-polyfill (a port of the spec's reference
 * implementation, which passes the Web Platform Tests) for ReadableStream (byte streams,
 * BYOB readers, tee, pipeTo, pipeThrough, from), WritableStream, TransformStream and the
 * queuing strategies; ours on top of it: TextEncoderStream, TextDecoderStream, and the
 * few helpers the body code needs.
 */
export {
  ByteLengthQueuingStrategy,
  CountQueuingStrategy,
  ReadableByteStreamController,
  ReadableStream,
  ReadableStreamBYOBReader,
  ReadableStreamBYOBRequest,
  ReadableStreamDefaultController,
  ReadableStreamDefaultReader,
  TransformStream,
  TransformStreamDefaultController,
  WritableStream,
  WritableStreamDefaultController,
  WritableStreamDefaultWriter,
} from 'web-streams-polyfill';
import { ReadableStream, TransformStream, WritableStream } from 'web-streams-polyfill';
import { TextDecoder, TextEncoder } from './encoding.ts';


/** A stream that yields these bytes once, already complete (a buffered body as a stream). */
export function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  // a byte stream, as bodies and Blob.stream() are: BYOB readers work on it
  return new ReadableStream({
    type: 'bytes',
    start(c) {
      if (bytes.length > 0) c.enqueue(bytes);
      c.close();
    },
  }) as ReadableStream<Uint8Array>;
}

/** The reference implementation's internal slots (web-streams-polyfill 4 keeps the spec's names). */
interface Internals {
  _state?: string;
  _disturbed?: boolean;
  _readableStreamController?: {
    _closeRequested?: boolean;
    _queue?: { forEach(f: (item: { value?: unknown; buffer?: ArrayBuffer; byteOffset?: number; byteLength?: number }) => void): void };
  };
}

/** True once the stream has been read from or cancelled (the spec's [[disturbed]]). */
export function isDisturbed(stream: ReadableStream): boolean {
  return (stream as unknown as Internals)._disturbed === true;
}

/**
 * The chunks of a stream that is already complete (closed by its source with every chunk
 * queued, never read, not locked), else null: such a body is sent as one buffer.
 */
export function completeChunks(stream: ReadableStream): unknown[] | null {
  const s = stream as unknown as Internals;
  if (stream.locked || s._disturbed === true) return null;
  if (s._state === 'closed') return [];
  const c = s._readableStreamController;
  if (s._state !== 'readable' || c === undefined || c._closeRequested !== true || c._queue === undefined) return null;
  const out: unknown[] = [];
  c._queue.forEach((item) => out.push(item.buffer instanceof ArrayBuffer ? new Uint8Array(item.buffer, item.byteOffset, item.byteLength) : item.value));
  return out;
}

/**
 * Reads a whole stream of Uint8Array chunks (anything else is a TypeError, as the Fetch
 * standard says) into `box.bytes`. Through pipeTo, which reads as the standard's read
 * requests do: no promise here is resolved with an object, so a `then` planted on
 * Object.prototype cannot forge chunks. The reader is released at the end.
 */
export async function readAllInto(stream: ReadableStream, limit: number, box: { bytes: Uint8Array }): Promise<void> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  await stream.pipeTo(
    new WritableStream({
      write(value: unknown) {
        if (!(value instanceof Uint8Array)) throw new TypeError('A body stream chunk must be a Uint8Array');
        total += value.length;
        if (total > limit) throw new RangeError(`The body exceeds ${limit} bytes`);
        chunks.push(value);
      },
    }),
  );
  if (chunks.length === 1) {
    box.bytes = chunks[0];
    return;
  }
  const out = new Uint8Array(total);
  let p = 0;
  for (const c of chunks) {
    out.set(c, p);
    p += c.length;
  }
  box.bytes = out;
}

/** Strings in, UTF-8 bytes out (Encoding Standard). */
export class TextEncoderStream {
  readonly #transform: TransformStream<string, Uint8Array>;
  constructor() {
    const encoder = new TextEncoder();
    /** A lead surrogate that ended the last chunk, waiting for its trail. */
    let pending = '';
    this.#transform = new TransformStream<string, Uint8Array>({
      transform(chunk, c) {
        let text = pending + String(chunk);
        pending = '';
        const last = text.charCodeAt(text.length - 1);
        if (last >= 0xd800 && last <= 0xdbff) {
          pending = text.slice(-1);
          text = text.slice(0, -1);
        }
        if (text !== '') c.enqueue(encoder.encode(text));
      },
      flush(c) {
        if (pending !== '') c.enqueue(new Uint8Array([0xef, 0xbf, 0xbd]));
      },
    });
  }
  get encoding(): string {
    return 'utf-8';
  }
  get readable(): ReadableStream<Uint8Array> {
    return this.#transform.readable;
  }
  get writable(): WritableStream<string> {
    return this.#transform.writable;
  }
  get [Symbol.toStringTag](): string {
    return 'TextEncoderStream';
  }
}

/** Bytes in, strings out, through a TextDecoder in streaming mode. */
export class TextDecoderStream {
  readonly #transform: TransformStream<ArrayBuffer | ArrayBufferView, string>;
  readonly #decoder: TextDecoder;
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean }) {
    const decoder = new TextDecoder(label, options);
    this.#decoder = decoder;
    this.#transform = new TransformStream<ArrayBuffer | ArrayBufferView, string>({
      transform(chunk, c) {
        if (!(chunk instanceof ArrayBuffer) && !ArrayBuffer.isView(chunk)) throw new TypeError('TextDecoderStream: a chunk must be an ArrayBuffer or a view');
        const text = decoder.decode(chunk, { stream: true });
        if (text !== '') c.enqueue(text);
      },
      flush(c) {
        const text = decoder.decode();
        if (text !== '') c.enqueue(text);
      },
    });
  }
  get encoding(): string {
    return this.#decoder.encoding;
  }
  get fatal(): boolean {
    return this.#decoder.fatal;
  }
  get ignoreBOM(): boolean {
    return this.#decoder.ignoreBOM;
  }
  get readable(): ReadableStream<string> {
    return this.#transform.readable;
  }
  get writable(): WritableStream<ArrayBuffer | ArrayBufferView> {
    return this.#transform.writable;
  }
  get [Symbol.toStringTag](): string {
    return 'TextDecoderStream';
  }
}
