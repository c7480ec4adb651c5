/**
 * Work the shim asks the host for (OUT_CALL): outbound fetch through spec.fetch, and the
 * digests, HMACs and keyed operations behind crypto.subtle. Arguments come from the isolate, so every one is
 * checked before use.
 */
import { createHash, createHmac } from 'node:crypto';
import { type KeyStore, subtleCall } from './crypto-host.ts';
import type { ByteStream, HttpRequestData, InvocationMeta, OutboundFetch } from '../port.ts';
import { OP_DIGEST, OP_FETCH, OP_HMAC, OP_SUBTLE, OP_ZLIB, ZLIB_END, ZLIB_OPEN, ZLIB_WRITE } from './protocol.ts';
import type { ZlibStore } from './zlib-host.ts';
import { exactArrayBuffer, joinHeaders, splitHeaders } from './wire.ts';

const HASHES = new Set(['sha1', 'sha256', 'sha384', 'sha512']);

export function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The value to reply with; rejects with a message for the isolate. */
export async function hostCall(
  op: unknown,
  a: unknown,
  b: unknown,
  c: unknown,
  d: unknown,
  fetch: OutboundFetch,
  meta: InvocationMeta | undefined,
  keys: KeyStore,
  /** Registers a streamed fetch response body for the isolate to read; returns its stream number. */
  openIncoming: (stream: ByteStream) => number,
  /** The host's end of an outgoing stream the shim numbered (a streamed request body). */
  openOutgoing: (id: number) => ByteStream,
  zlib: ZlibStore,
  /** Host work done for the invocation that counts as its CPU (compression), in ms. */
  chargeCpu: (ms: number) => void,
): Promise<unknown> {
  switch (op) {
    case OP_FETCH: {
      // d: the body's bytes, or the number of the outgoing stream that carries it
      const stream = typeof d === 'number' ? openOutgoing(d) : undefined;
      const request: HttpRequestData = {
        method: String(a),
        url: String(b),
        headers: splitHeaders(c),
        body: d instanceof ArrayBuffer ? new Uint8Array(d) : null,
        ...(stream === undefined ? {} : { stream }),
      };
      const res = await fetch(request, meta?.invocationId ?? '', meta?.trace);
      const streamId = res.stream === undefined ? 0 : openIncoming(res.stream);
      return [res.status, res.statusText, joinHeaders(res.headers), streamId === 0 ? exactArrayBuffer(res.body) : null, request.url, streamId];
    }
    case OP_DIGEST: {
      const alg = String(a);
      if (!HASHES.has(alg) || !(b instanceof ArrayBuffer)) throw new Error('bad digest call');
      return exactArrayBuffer(createHash(alg).update(new Uint8Array(b)).digest());
    }
    case OP_HMAC: {
      const alg = String(a);
      if (!HASHES.has(alg) || !(b instanceof ArrayBuffer) || !(c instanceof ArrayBuffer)) throw new Error('bad hmac call');
      return exactArrayBuffer(createHmac(alg, new Uint8Array(b)).update(new Uint8Array(c)).digest());
    }
    case OP_SUBTLE:
      return subtleCall(keys, a, b, c);
    case OP_ZLIB:
      if (a === ZLIB_OPEN) return zlib.open(b, c);
      if (a === ZLIB_WRITE) return zlib.write(b, c, chargeCpu);
      if (a === ZLIB_END) return zlib.end(b, chargeCpu);
      throw new Error('bad compression call');
    default:
      throw new Error('unknown host operation');
  }
}
