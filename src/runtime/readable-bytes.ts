/**
 * A Node Readable (a client's upload, an app's response body) as a ByteStream: pulled one
 * chunk at a time, the source paused while nobody reads (backpressure), bounded by a byte
 * limit. Once nobody wants the rest (cancelled, over the limit) the source is either
 * drained (read and dropped, so an HTTP connection can serve on) or destroyed.
 */
import type { Readable } from 'node:stream';
import { NimbusError } from '../core/errors.ts';
import type { ByteStream } from './port.ts';

export interface ReadableBytesOptions {
  readonly limitBytes: number;
  /** The error past the limit. */
  readonly overLimit: () => NimbusError;
  /** The source's own 'error', as a NimbusError. */
  readonly failed: (error: Error) => NimbusError;
  /** What becomes of the rest once nobody reads it: 'drain' (read and dropped) or 'destroy'. */
  readonly rest: 'drain' | 'destroy';
}

interface Waiter {
  resolve(chunk: Uint8Array | null): void;
  reject(error: NimbusError): void;
}

export class ReadableBytes implements ByteStream {
  #size = 0;
  #ended = false;
  #error: NimbusError | null = null;
  #cancelled = false;
  #waiter: Waiter | null = null;

  constructor(
    protected readonly source: Readable,
    private readonly options: ReadableBytesOptions,
  ) {
    source.on('readable', this.#wake);
    source.on('end', this.#onEnd);
    source.on('error', (error) => this.fail(options.failed(error)));
  }

  /** Bytes read so far. */
  get bytes(): number {
    return this.#size;
  }

  read(): Promise<Uint8Array | null> {
    if (this.#error !== null) return Promise.reject(this.#error);
    if (this.#cancelled) return Promise.resolve(null);
    const chunk = this.source.read() as Buffer | null;
    if (chunk !== null) {
      this.#size += chunk.byteLength;
      if (this.#size > this.options.limitBytes) {
        const error = this.options.overLimit();
        this.fail(error);
        this.#letGo();
        return Promise.reject(error);
      }
      return Promise.resolve(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    }
    if (this.#ended) return Promise.resolve(null);
    if (this.#waiter !== null) return Promise.reject(new NimbusError('NIMBUS_ERR_INTERNAL', 'a stream has one reader at a time'));
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  /** The reader wants no more (or never read it): the rest is drained or the source destroyed. */
  cancel(_reason: NimbusError): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.#letGo();
    this.#wake();
  }

  /** Ends the stream with `error` (the next read rejects with it), unless it ended already. */
  fail(error: NimbusError): void {
    if (this.#error !== null || this.#ended || this.#cancelled) return;
    this.#error = error;
    this.#wake();
  }

  #letGo(): void {
    this.source.off('readable', this.#wake);
    if (this.options.rest === 'drain') this.source.resume();
    else this.source.destroy();
  }

  #onEnd = (): void => {
    this.#ended = true;
    this.#wake();
  };

  #wake = (): void => {
    const w = this.#waiter;
    if (w === null) return;
    this.#waiter = null;
    this.read().then(w.resolve, w.reject);
  };
}

/** A ByteStream as an async iterable of chunks (an upstream request body, as undici takes one). */
export async function* chunksOf(stream: ByteStream): AsyncGenerator<Uint8Array> {
  for (let chunk = await stream.read(); chunk !== null; chunk = await stream.read()) yield chunk;
}
