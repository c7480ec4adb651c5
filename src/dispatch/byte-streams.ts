/** Helpers over ByteStream (runtime/port.ts) for the dispatcher: counting what passes, and buffering a stream for callers that need bytes. */
import { NimbusError, isNimbusError } from '../core/errors.ts';
import type { ByteStream } from '../runtime/port.ts';

/** A stream that counts the bytes read through it. */
export class Counted implements ByteStream {
  bytes = 0;
  /** Why a read failed (an upload past the payload limit, a client gone), or null. */
  failure: NimbusError | null = null;
  constructor(private readonly inner: ByteStream) {}

  async read(): Promise<Uint8Array | null> {
    let chunk: Uint8Array | null;
    try {
      chunk = await this.inner.read();
    } catch (error) {
      if (isNimbusError(error)) this.failure ??= error;
      throw error;
    }
    if (chunk !== null) this.bytes += chunk.byteLength;
    return chunk;
  }

  cancel(reason: NimbusError): void {
    this.inner.cancel(reason);
  }
}

/** Reads a stream to its end into one buffer; past `limitBytes` it is cancelled and `overLimit` thrown. */
export async function collect(stream: ByteStream, limitBytes: number, overLimit: () => NimbusError): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (let chunk = await stream.read(); chunk !== null; chunk = await stream.read()) {
    size += chunk.byteLength;
    if (size > limitBytes) {
      const error = overLimit();
      stream.cancel(error);
      throw error;
    }
    chunks.push(chunk);
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** Whatever a stream's consumer rejected with, as a NimbusError. */
export function asNimbusError(error: unknown): NimbusError {
  return isNimbusError(error)
    ? error
    : new NimbusError('NIMBUS_ERR_INTERNAL', `sending the streamed response failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
}
