/**
 * A ByteStream a test feeds by hand: read() waits until the test pushes a chunk, ends or
 * fails it; what the reader cancelled with is kept. For tests of streamed bodies.
 */
import type { NimbusError } from '../../core/errors.ts';
import type { ByteStream } from '../port.ts';

export class Feed implements ByteStream {
  readonly #chunks: Array<Uint8Array | null | Error> = [];
  #waiter: ((v: Uint8Array | null | Error) => void) | null = null;
  /** What the reader cancelled with, once it did. */
  cancelled: NimbusError | null = null;
  /** Resolves when the reader cancels. */
  readonly whenCancelled: Promise<NimbusError>;
  #onCancel!: (reason: NimbusError) => void;
  /** read() calls so far. */
  reads = 0;

  constructor() {
    this.whenCancelled = new Promise((resolve) => {
      this.#onCancel = resolve;
    });
  }

  push(chunk: Uint8Array | string): void {
    this.#put(typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk);
  }
  end(): void {
    this.#put(null);
  }
  fail(error: Error): void {
    this.#put(error);
  }

  #put(v: Uint8Array | null | Error): void {
    const w = this.#waiter;
    if (w !== null) {
      this.#waiter = null;
      w(v);
    } else this.#chunks.push(v);
  }

  async read(): Promise<Uint8Array | null> {
    this.reads++;
    const v = this.#chunks.length > 0 ? this.#chunks.shift() : await new Promise<Uint8Array | null | Error>((resolve) => (this.#waiter = resolve));
    if (v instanceof Error) throw v;
    return v ?? null;
  }

  cancel(reason: NimbusError): void {
    if (this.cancelled !== null) return;
    this.cancelled = reason;
    this.#onCancel(reason);
  }
}

/** Reads a ByteStream to its end as text. */
export async function readText(stream: ByteStream): Promise<string> {
  let out = '';
  const dec = new TextDecoder();
  for (let c = await stream.read(); c !== null; c = await stream.read()) out += dec.decode(c, { stream: true });
  return out + dec.decode();
}
