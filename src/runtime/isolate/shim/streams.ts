/**
 * A minimal ReadableStream: enough for `response.body` / `request.body` readers, async
 * iteration, and `new Response(stream)`. Bodies are still buffered: a Response built from
 * a stream is read to its end before it is sent. No BYOB readers, pipeTo, tee, or
 * Writable/TransformStream.
 */

interface Source {
  start?(controller: ReadableStreamDefaultController): unknown;
  pull?(controller: ReadableStreamDefaultController): unknown;
  cancel?(reason: unknown): unknown;
}

type Waiter = { resolve(r: { done: boolean; value: unknown }): void; reject(e: unknown): void };

export class ReadableStreamDefaultController {
  readonly #stream: ReadableStream;
  constructor(stream: ReadableStream) {
    this.#stream = stream;
  }
  get desiredSize(): number {
    return this.#stream._queue.length === 0 ? 1 : 0;
  }
  enqueue(chunk: unknown): void {
    this.#stream._enqueue(chunk);
  }
  close(): void {
    this.#stream._close();
  }
  error(reason: unknown): void {
    this.#stream._error(reason);
  }
}

export class ReadableStream {
  _queue: unknown[] = [];
  #state: 'readable' | 'closed' | 'errored' = 'readable';
  #reason: unknown = undefined;
  #waiters: Waiter[] = [];
  #source: Source;
  #controller: ReadableStreamDefaultController;
  #pulling = false;
  #started: Promise<void>;
  _locked = false;

  constructor(source: Source = {}, _strategy?: unknown) {
    this.#source = source ?? {};
    this.#controller = new ReadableStreamDefaultController(this);
    this.#started = Promise.resolve(this.#source.start?.(this.#controller)).then(
      () => undefined,
      (e) => this._error(e),
    );
  }

  /** internal: a stream that yields these bytes once */
  static _of(bytes: Uint8Array): ReadableStream {
    return new ReadableStream({
      start(c) {
        if (bytes.length > 0) c.enqueue(bytes);
        c.close();
      },
    });
  }

  get locked(): boolean {
    return this._locked;
  }

  _enqueue(chunk: unknown): void {
    if (this.#state !== 'readable') throw new TypeError('The stream is closed');
    const w = this.#waiters.shift();
    if (w) w.resolve({ done: false, value: chunk });
    else this._queue.push(chunk);
  }
  _close(): void {
    if (this.#state !== 'readable') return;
    this.#state = 'closed';
    if (this._queue.length === 0) for (const w of this.#waiters.splice(0)) w.resolve({ done: true, value: undefined });
  }
  _error(reason: unknown): void {
    if (this.#state !== 'readable') return;
    this.#state = 'errored';
    this.#reason = reason;
    this._queue = [];
    for (const w of this.#waiters.splice(0)) w.reject(reason);
  }

  async _read(): Promise<{ done: boolean; value: unknown }> {
    if (this._queue.length > 0) {
      const value = this._queue.shift();
      if (this.#state === 'closed' && this._queue.length === 0) for (const w of this.#waiters.splice(0)) w.resolve({ done: true, value: undefined });
      return { done: false, value };
    }
    if (this.#state === 'closed') return { done: true, value: undefined };
    if (this.#state === 'errored') throw this.#reason;
    const p = new Promise<{ done: boolean; value: unknown }>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    this.#pull();
    return p;
  }

  /** Calls the source's pull while reads wait (one pull at a time). */
  #pull(): void {
    if (this.#pulling || !this.#source.pull || this.#state !== 'readable') return;
    this.#pulling = true;
    // pull waits for start (the spec's order); queued chunks do not
    this.#started
      .then(() => (this.#state === 'readable' ? this.#source.pull?.(this.#controller) : undefined))
      .then(
        () => {
          this.#pulling = false;
          if (this.#waiters.length > 0) this.#pull();
        },
        (e) => this._error(e),
      );
  }

  /** internal: the bytes behind a Request's or Response's `body` made from a buffered body, until it is read. */
  _buffered: Uint8Array | string | undefined = undefined;

  /** internal: the chunks of a stream that is already complete (closed, all queued, not locked), else null. */
  _completeChunks(): unknown[] | null {
    if (this._locked) return null;
    if (this._buffered !== undefined && this.#state === 'readable' && !this.#pulling && this._queue.length === 0) return [this._buffered];
    return this.#state === 'closed' ? this._queue : null;
  }

  async cancel(reason?: unknown): Promise<void> {
    this._queue = [];
    this._close();
    await this.#source.cancel?.(reason);
  }

  getReader(options?: { mode?: string }): ReadableStreamDefaultReader {
    if (options?.mode === 'byob') throw new TypeError('BYOB readers are not supported');
    return new ReadableStreamDefaultReader(this);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<unknown> {
    const reader = this.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value;
      }
    } finally {
      reader.releaseLock();
    }
  }
  values(): AsyncGenerator<unknown> {
    return this[Symbol.asyncIterator]();
  }
  pipeTo(): never {
    throw new TypeError('ReadableStream.pipeTo is not supported in Nimbus yet');
  }
  pipeThrough(): never {
    throw new TypeError('ReadableStream.pipeThrough is not supported in Nimbus yet');
  }
  tee(): never {
    throw new TypeError('ReadableStream.tee is not supported in Nimbus yet');
  }
  get [Symbol.toStringTag](): string {
    return 'ReadableStream';
  }
}

export class ReadableStreamDefaultReader {
  #stream: ReadableStream | null;
  readonly closed: Promise<void>;
  constructor(stream: ReadableStream) {
    if (stream._locked) throw new TypeError('ReadableStream is locked');
    stream._locked = true;
    this.#stream = stream;
    this.closed = Promise.resolve();
  }
  read(): Promise<{ done: boolean; value: unknown }> {
    if (this.#stream === null) return Promise.reject(new TypeError('The reader was released'));
    return this.#stream._read();
  }
  releaseLock(): void {
    if (this.#stream) this.#stream._locked = false;
    this.#stream = null;
  }
  cancel(reason?: unknown): Promise<void> {
    return this.#stream ? this.#stream.cancel(reason) : Promise.resolve();
  }
}

/** Reads a whole stream of byte (or string) chunks. */
export async function readAll(stream: ReadableStream, limit: number): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  const enc = (globalThis as unknown as { TextEncoder: new () => { encode(s: string): Uint8Array } }).TextEncoder;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    let bytes: Uint8Array;
    if (value instanceof Uint8Array) bytes = value;
    else if (value instanceof ArrayBuffer) bytes = new Uint8Array(value);
    else if (ArrayBuffer.isView(value)) bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    else if (typeof value === 'string') bytes = new enc().encode(value);
    else throw new TypeError('A body stream chunk must be a Uint8Array, ArrayBuffer or string');
    total += bytes.length;
    if (total > limit) throw new RangeError(`The body exceeds ${limit} bytes`);
    chunks.push(bytes);
  }
  reader.releaseLock();
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let p = 0;
  for (const c of chunks) {
    out.set(c, p);
    p += c.length;
  }
  return out;
}
