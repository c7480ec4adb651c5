/**
 * The host side of the Node layer's streaming hashes: a Hash or Hmac fed more than one
 * call's worth of input (crypto-digest.ts flushes its input here by parts) lives in this
 * per-instance store, known to the isolate by number. At most MAX_OPEN_DIGESTS at once
 * (past that the isolate keeps buffering, as for small inputs); all dropped with the
 * instance, and one the isolate forgets is freed when its object is collected.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { bytes, hashName, int, MAX_DERIVED_BYTES, out } from './node-host.ts';
import { NumberedStore } from './numbered-store.ts';

export const MAX_OPEN_DIGESTS = 64;

function fail(message: string): never {
  throw new Error(message);
}

export class NodeDigests {
  readonly #open = new NumberedStore<Hash | Hmac>('digest', MAX_OPEN_DIGESTS);

  /**
   * ('hash', alg, outputLength|null) and ('hmac', alg, key) → a number, 0 when the store is
   * full; ('update', n, bytes); ('digest', n) → bytes (n is gone); ('copy', n) → a number,
   * 0 when full (hashes only); ('free', n).
   */
  call(mode: unknown, a: unknown, b: unknown, c: unknown): unknown {
    this.#open.assertOpen();
    switch (mode) {
      case 'hash': {
        const length = b === null || b === undefined ? undefined : int(b, 'outputLength', 0, MAX_DERIVED_BYTES);
        return this.#open.add(createHash(hashName(a), length === undefined ? undefined : { outputLength: length }));
      }
      case 'hmac':
        return this.#open.add(createHmac(hashName(a), bytes(b, 'key', 1024 * 1024)));
      case 'update':
        this.#open.get(a).update(bytes(b, 'data'));
        return undefined;
      case 'digest': {
        return out(this.#open.take(a).digest());
      }
      case 'copy': {
        const d = this.#open.get(a);
        if (!('copy' in d)) fail('an HMAC cannot be copied');
        return this.#open.add((d as Hash).copy());
      }
      case 'free':
        this.#open.free(a);
        return undefined;
      default:
        return fail('unknown digest operation');
    }
  }

  get size(): number {
    return this.#open.size;
  }

  closeAll(): void {
    this.#open.closeAll();
  }
}
