/**
 * CompressionStream and DecompressionStream (Compression Standard: gzip, deflate,
 * deflate-raw, brotli) as TransformStreams whose work the host's node:zlib does (zlib-host.ts):
 * the shim holds a number per stream, sends input in pieces of at most 64 KB and enqueues
 * what comes back. What an invocation leaves open is dropped when it ends.
 */
import { OP_ZLIB, OP_ZLIB_FREE, OUT_CALL, ZLIB_END, ZLIB_OPEN, ZLIB_WRITE } from '../protocol.ts';
import { send } from './bridge.ts';
import { hostCall } from './calls.ts';
import { exactBuffer } from './encoding.ts';
import { currentInvocation, type Invocation } from './state.ts';
import { type ReadableStream, TransformStream, type WritableStream } from './streams.ts';

const FORMATS = new Set(['gzip', 'deflate', 'deflate-raw', 'brotli']);
const PIECE = 64 * 1024;

/** Open (de)compressors by the invocation that opened them. */
const open = new Map<number, Invocation>();

function free(id: number): void {
  if (!open.delete(id)) return;
  send(OUT_CALL, 0, 0, OP_ZLIB_FREE, id);
}

export function dropZlibOf(inv: Invocation): void {
  for (const [id, owner] of open) if (owner === inv) free(id);
}

async function call(action: number, a: unknown, b?: unknown): Promise<unknown> {
  try {
    return await hostCall(OP_ZLIB, action, a, b);
  } catch (message) {
    throw new TypeError(String(message));
  }
}

const isShared = (b: ArrayBufferLike): boolean => typeof SharedArrayBuffer === 'function' && b instanceof SharedArrayBuffer;

/** A chunk is a BufferSource: an ArrayBuffer or a view of one, never of shared memory. */
function chunkBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  if (ArrayBuffer.isView(chunk) && !isShared(chunk.buffer)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError('The chunk must be an ArrayBuffer or an ArrayBufferView, not of a SharedArrayBuffer');
}

/**
 * Enqueues what the host answered; a reply that carries an error (decompressed data that
 * ended before its input did) enqueues the output up to the end, then errors the stream.
 */
function deliver(reply: unknown, c: { enqueue(chunk: Uint8Array): void }): void {
  const [out, error] = Array.isArray(reply) ? (reply as [ArrayBuffer, string]) : [reply as ArrayBuffer, null];
  if (out.byteLength > 0) c.enqueue(new Uint8Array(out));
  if (error !== null) throw new TypeError(error);
}

function zlibTransform(name: string, format: unknown, decompress: boolean): TransformStream<ArrayBuffer | ArrayBufferView, Uint8Array> {
  const f = String(format);
  if (!FORMATS.has(f)) throw new TypeError(`Failed to construct '${name}': Unsupported compression format: '${f}'`);
  let id = 0;
  const handle = async (): Promise<number> => {
    if (id === 0) {
      id = (await call(ZLIB_OPEN, f, decompress)) as number;
      open.set(id, currentInvocation());
    }
    return id;
  };
  return new TransformStream<ArrayBuffer | ArrayBufferView, Uint8Array>({
    async transform(chunk, c) {
      const bytes = chunkBytes(chunk);
      const h = await handle();
      for (let at = 0; at < bytes.length; at += PIECE) {
        deliver(await call(ZLIB_WRITE, h, exactBuffer(bytes.subarray(at, at + PIECE))), c);
      }
    },
    async flush(c) {
      const h = await handle();
      open.delete(h); // the host frees it at the end
      deliver(await call(ZLIB_END, h), c);
    },
    cancel() {
      if (id > 0) free(id);
    },
  } as Transformer<ArrayBuffer | ArrayBufferView, Uint8Array>);
}

type Transformer<I, O> = ConstructorParameters<typeof TransformStream<I, O>>[0];

export class CompressionStream {
  readonly #t: TransformStream<ArrayBuffer | ArrayBufferView, Uint8Array>;
  constructor(format: string) {
    this.#t = zlibTransform('CompressionStream', format, false);
  }
  get readable(): ReadableStream<Uint8Array> {
    return this.#t.readable;
  }
  get writable(): WritableStream<ArrayBuffer | ArrayBufferView> {
    return this.#t.writable;
  }
  get [Symbol.toStringTag](): string {
    return 'CompressionStream';
  }
}

export class DecompressionStream {
  readonly #t: TransformStream<ArrayBuffer | ArrayBufferView, Uint8Array>;
  constructor(format: string) {
    this.#t = zlibTransform('DecompressionStream', format, true);
  }
  get readable(): ReadableStream<Uint8Array> {
    return this.#t.readable;
  }
  get writable(): WritableStream<ArrayBuffer | ArrayBufferView> {
    return this.#t.writable;
  }
  get [Symbol.toStringTag](): string {
    return 'DecompressionStream';
  }
}
