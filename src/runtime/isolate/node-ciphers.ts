/**
 * The host side of the Node layer's streaming ciphers (node/crypto-cipher.ts). A cipher fed
 * once is computed in one call ('once': the update's output and, ahead of time, what final
 * would give, nothing kept). A cipher fed again lives in this per-instance store, known to
 * the isolate by number, so each update gives Node's bytes at once: at most
 * MAX_OPEN_CIPHERS at once, all dropped with the instance, one the isolate forgets freed
 * when its object is collected, a number this store did not hand out finds nothing.
 */
import { createCipheriv, createDecipheriv, getCiphers, type Cipher, type Decipher } from 'node:crypto';
import { bytes, int, MAX_OPEN_CIPHERS, out } from './node-host.ts';
import { NumberedStore } from './numbered-store.ts';

export { MAX_OPEN_CIPHERS };

const CIPHERS = new Set(getCiphers().map((c) => c.toLowerCase()));

function fail(message: string): never {
  throw new Error(message);
}

/** What a cipher is made from, as the isolate sends it: [alg, key, iv|null, decrypt, aad|null, authTag|null, authTagLength|null, autoPadding, plaintextLength|null]. */
type Spec = readonly unknown[];

interface AeadCipher {
  setAAD(data: Buffer, options?: { plaintextLength: number }): void;
  setAuthTag(tag: Buffer): void;
  getAuthTag(): Buffer;
  setAutoPadding(pad: boolean): void;
}

/** A host cipher made from `spec`, checked as nodeHostCall checks its arguments; `firstLength` is CCM's plaintext length when the isolate gave none. */
function make(spec: unknown, firstLength: number): Cipher | Decipher {
  if (!Array.isArray(spec) || spec.length !== 9) fail('bad cipher description');
  const [a, k, v, decrypt, aad, tag, tagLength, autoPadding, plaintextLength] = spec as Spec;
  if (typeof a !== 'string' || a.length > 64) fail('cipher must be a short string');
  const alg = a.toLowerCase();
  if (!CIPHERS.has(alg)) fail(`Unknown cipher ${alg}`);
  if (typeof decrypt !== 'boolean' || typeof autoPadding !== 'boolean') fail('bad cipher description');
  const key = bytes(k, 'key', 1024);
  const iv = v === null ? null : bytes(v, 'iv', 1024);
  const options = tagLength === null ? undefined : { authTagLength: int(tagLength, 'authTagLength', 4, 16) };
  const c = (decrypt ? createDecipheriv(alg, key, iv, options as never) : createCipheriv(alg, key, iv, options as never)) as (Cipher | Decipher) & AeadCipher;
  if (aad !== null) c.setAAD(bytes(aad, 'aad'), { plaintextLength: plaintextLength === null ? firstLength : int(plaintextLength, 'plaintextLength', 0, 2 ** 31 - 1) });
  if (tag !== null) {
    if (!decrypt) fail('an authentication tag is set on a decipher');
    c.setAuthTag(bytes(tag, 'authTag', 16));
  }
  if (!autoPadding) c.setAutoPadding(false);
  return c;
}

/** The tag of a finished AEAD cipher, null for other ciphers and for deciphers. */
function tagOf(c: Cipher | Decipher): ArrayBuffer | null {
  try {
    return out((c as unknown as AeadCipher).getAuthTag());
  } catch {
    return null;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class NodeCiphers {
  readonly #open = new NumberedStore<Cipher | Decipher>('cipher', MAX_OPEN_CIPHERS);

  /**
   * ('check', spec): throws what making the cipher would (an unknown cipher, a key or IV of the
   * wrong length), nothing kept; ('once', spec, data) → [output, finalOutput|null, tag|null, finalError|null]: nothing is
   * kept; ('open', spec, replay|null, data) → [number, output]: `replay` (input given already,
   * its output too) is fed first and its output dropped, 0 for the number when the store is
   * full; ('update', n, data) → output; ('final', n) → [output, tag|null] (n is gone);
   * ('set', n, 'tag', bytes) and ('set', n, 'padding', boolean); ('free', n).
   */
  call(mode: unknown, a: unknown, b: unknown, c: unknown): unknown {
    this.#open.assertOpen();
    switch (mode) {
      case 'check':
        make(a, 0);
        return undefined;
      case 'once':
        return this.#once(a, bytes(b, 'data'));
      case 'open': {
        if (this.#open.full) return [0, null];
        const replay = b === null ? null : bytes(b, 'replay');
        const data = bytes(c, 'data');
        const cipher = make(a, (replay?.length ?? 0) + data.length);
        if (replay !== null) cipher.update(replay);
        const output = out(cipher.update(data));
        return [this.#open.add(cipher), output];
      }
      case 'update':
        return out(this.#open.get(a).update(bytes(b, 'data')));
      case 'final': {
        const cipher = this.#open.take(a);
        const output = out(cipher.final());
        return [output, tagOf(cipher)];
      }
      case 'set': {
        const cipher = this.#open.get(a) as unknown as AeadCipher;
        if (b === 'tag') cipher.setAuthTag(bytes(c, 'authTag', 16));
        else if (b === 'padding' && typeof c === 'boolean') cipher.setAutoPadding(c);
        else fail('unknown cipher setting');
        return undefined;
      }
      case 'free':
        this.#open.free(a);
        return undefined;
      default:
        return fail('unknown cipher operation');
    }
  }

  get size(): number {
    return this.#open.size;
  }

  #once(spec: unknown, data: Buffer): unknown[] {
    const cipher = make(spec, data.length);
    const output = out(cipher.update(data));
    try {
      const last = out(cipher.final());
      return [output, last, tagOf(cipher), null];
    } catch (error) {
      return [output, null, null, messageOf(error)];
    }
  }

  closeAll(): void {
    this.#open.closeAll();
  }
}
