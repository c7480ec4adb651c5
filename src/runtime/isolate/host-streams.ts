/**
 * The host's ends of the streams between it and one isolate (see protocol.ts).
 *
 * Outgoing (isolate → host: a streamed response, an outbound fetch's streamed request
 * body): a FromIsolate queues the chunks the shim sends, and gives the shim credit for at
 * most WINDOW chunks beyond what the reader has taken, so a producer faster than its reader
 * (a slow client) waits in the isolate instead of filling the host's memory. Its bytes are
 * counted against a limit; past it the stream is cancelled in the isolate.
 *
 * Incoming (host → isolate: a streamed upload, an outbound fetch's response body): the
 * shim asks for one chunk at a time (OUT_READ) and the host answers with the next chunk of
 * the ByteStream it registered (IN_DATA).
 */
import { NimbusError } from '../../core/errors.ts';
import type { ByteStream } from '../port.ts';

/** Chunks in flight between the isolate and the reader of an outgoing stream, at most. */
export const WINDOW = 4;

export interface StreamWire {
  /** IN_PULL: the shim may send `n` more chunks of outgoing stream `id`. */
  pull(id: number, n: number): void;
  /** IN_CANCEL: the host wants no more of outgoing stream `id`. */
  cancel(id: number, reason: string): void;
  /** IN_DATA: the next chunk of incoming stream `id` (null: its end), or why it failed. */
  data(id: number, chunk: Uint8Array | null, error: string | null): void;
}

interface Waiter {
  resolve(chunk: Uint8Array | null): void;
  reject(error: NimbusError): void;
}

/** An outgoing stream as the host reads it. */
export class FromIsolate implements ByteStream {
  readonly #queue: Uint8Array[] = [];
  /** Chunks the shim may still send (credit given, not yet used). */
  #credit = 0;
  #ended = false;
  #error: NimbusError | null = null;
  #waiter: Waiter | null = null;
  #bytes = 0;

  constructor(
    readonly id: number,
    /** The invocation it belongs to. */
    readonly seq: number,
    private readonly wire: StreamWire,
    private readonly limitBytes: number,
    private readonly overLimit: (limitBytes: number) => NimbusError,
  ) {}

  /** Bytes received so far. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Why it failed or was cancelled, or null. */
  get error(): NimbusError | null {
    return this.#error;
  }

  get over(): boolean {
    return this.#ended || this.#error !== null;
  }

  start(): void {
    this.#refill();
  }

  /** OUT_CHUNK. */
  push(chunk: Uint8Array): void {
    if (this.over) return;
    this.#credit--;
    if (this.#credit < 0) {
      this.#abandon(new NimbusError('NIMBUS_ERR_BAD_RESPONSE', 'the isolate sent a stream chunk it had no credit for'));
      return;
    }
    this.#bytes += chunk.byteLength;
    if (this.#bytes > this.limitBytes) {
      this.#abandon(this.overLimit(this.limitBytes));
      return;
    }
    const w = this.#waiter;
    if (w !== null) {
      this.#waiter = null;
      w.resolve(chunk);
      this.#refill();
    } else this.#queue.push(chunk);
  }

  /** OUT_END: the shim's side is over (null: it ended well). Queued chunks are still read first. */
  end(error: NimbusError | null): void {
    if (this.over) return;
    if (error !== null) {
      this.fail(error);
      return;
    }
    this.#ended = true;
    if (this.#queue.length === 0) this.#settle();
  }

  /** The stream cannot go on (the instance stopped, a limit): reads reject with `error` at once. */
  fail(error: NimbusError): void {
    if (this.over) return;
    this.#error = error;
    this.#queue.length = 0;
    this.#settle();
  }

  read(): Promise<Uint8Array | null> {
    const chunk = this.#queue.shift();
    if (chunk !== undefined) {
      this.#refill();
      return Promise.resolve(chunk);
    }
    if (this.#error !== null) return Promise.reject(this.#error);
    if (this.#ended) return Promise.resolve(null);
    if (this.#waiter !== null) return Promise.reject(new NimbusError('NIMBUS_ERR_INTERNAL', 'a stream has one reader at a time'));
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  cancel(reason: NimbusError): void {
    this.#abandon(reason);
  }

  #abandon(reason: NimbusError): void {
    if (this.over) return;
    this.wire.cancel(this.id, reason.message);
    this.fail(reason);
  }

  #settle(): void {
    const w = this.#waiter;
    if (w === null) return;
    this.#waiter = null;
    if (this.#error !== null) w.reject(this.#error);
    else w.resolve(null);
  }

  #refill(): void {
    if (this.over) return;
    const want = WINDOW - this.#queue.length - this.#credit;
    if (want <= 0) return;
    this.#credit += want;
    this.wire.pull(this.id, want);
  }
}

interface Incoming {
  readonly source: ByteStream;
  readonly seq: number;
  reading: boolean;
}

/** Every stream open between the host and one isolate, by number. */
export class StreamTable {
  readonly #outgoing = new Map<number, FromIsolate>();
  readonly #incoming = new Map<number, Incoming>();
  #nextIncoming = 1;

  constructor(private readonly wire: StreamWire) {}

  /** Opens the host's end of outgoing stream `id` (numbered by the shim) and gives it its first credit. */
  openOutgoing(id: number, seq: number, limitBytes: number, overLimit: (limitBytes: number) => NimbusError): FromIsolate | null {
    if (!Number.isSafeInteger(id) || id <= 0 || this.#outgoing.has(id)) return null;
    const s = new FromIsolate(id, seq, this.wire, limitBytes, overLimit);
    this.#outgoing.set(id, s);
    s.start();
    return s;
  }

  chunk(id: unknown, chunk: unknown): void {
    const s = this.#outgoing.get(Number(id));
    if (s === undefined) return;
    if (!(chunk instanceof ArrayBuffer)) {
      s.cancel(new NimbusError('NIMBUS_ERR_BAD_RESPONSE', 'a stream chunk was not bytes'));
      this.#outgoing.delete(s.id);
      return;
    }
    s.push(new Uint8Array(chunk));
    if (s.over) this.#outgoing.delete(s.id);
  }

  end(id: unknown, error: NimbusError | null): FromIsolate | undefined {
    const s = this.#outgoing.get(Number(id));
    if (s === undefined) return undefined;
    this.#outgoing.delete(s.id);
    s.end(error);
    return s;
  }

  /** Registers a host ByteStream the isolate will read; returns its number. */
  openIncoming(source: ByteStream, seq: number): number {
    const id = this.#nextIncoming;
    this.#nextIncoming = id >= 2 ** 31 - 1 ? 1 : id + 1;
    this.#incoming.set(id, { source, seq, reading: false });
    return id;
  }

  /** OUT_READ: answers with the source's next chunk. One read at a time; a second is ignored. */
  read(seq: number, idIn: unknown): void {
    const id = Number(idIn);
    const s = this.#incoming.get(id);
    if (s === undefined) {
      this.wire.data(id, null, 'the body is no longer available');
      return;
    }
    if (s.seq !== seq || s.reading) return;
    s.reading = true;
    s.source.read().then(
      (chunk) => {
        if (this.#incoming.get(id) !== s) return;
        s.reading = false;
        if (chunk === null) this.#incoming.delete(id);
        this.wire.data(id, chunk, null);
      },
      (error: unknown) => {
        if (this.#incoming.get(id) !== s) return;
        this.#incoming.delete(id);
        this.wire.data(id, null, error instanceof Error ? error.message : String(error));
      },
    );
  }

  /** OUT_RCANCEL: the function wants no more of incoming stream `id`. */
  cancelIncoming(idIn: unknown, reason: string): void {
    const id = Number(idIn);
    const s = this.#incoming.get(id);
    if (s === undefined) return;
    this.#incoming.delete(id);
    s.source.cancel(new NimbusError('NIMBUS_ERR_BAD_REQUEST', reason));
  }

  /** The invocation is over: what it left open is cancelled (incoming) or failed (outgoing). */
  closeOf(seq: number, error: NimbusError): void {
    for (const [id, s] of this.#incoming) {
      if (s.seq !== seq) continue;
      this.#incoming.delete(id);
      s.source.cancel(error);
    }
    for (const [id, s] of this.#outgoing) {
      if (s.seq !== seq) continue;
      this.#outgoing.delete(id);
      s.cancel(error);
    }
  }

  /** The isolate is gone: every stream fails with `error`. */
  closeAll(error: (seq: number) => NimbusError): void {
    for (const s of this.#incoming.values()) s.source.cancel(error(s.seq));
    this.#incoming.clear();
    for (const s of this.#outgoing.values()) s.fail(error(s.seq));
    this.#outgoing.clear();
  }
}
